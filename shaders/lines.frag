#version 330 core
uniform bool round_points;
in vec4 line_color;
out vec4 color;

void main() {
  if (round_points) {
    vec2 d = gl_PointCoord - vec2(0.5);
    if (dot(d, d) > 0.25) discard;
  }
  color = line_color;
}
