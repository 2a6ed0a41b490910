#version 330 core
// The video frame behind everything.
uniform sampler2D image;
uniform float opacity;
in vec2 uv;
out vec4 color;

void main() {
  color = vec4(texture(image, uv).rgb, opacity);
}
