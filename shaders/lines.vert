#version 330 core
// Keypoints (points) and skeleton / crop outline (lines), coloured per vertex.
layout(location = 0) in vec3 position;
layout(location = 1) in vec4 vertex_color;
uniform mat4 mvp;
uniform float point_size;
out vec4 line_color;

void main() {
  line_color = vertex_color;
  gl_PointSize = point_size;
  gl_Position = mvp * vec4(position, 1.0);
}
