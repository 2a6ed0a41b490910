#version 330 core
// A hand mesh. Positions and normals are in "world" space: for the overlay,
// frame pixels (x right, y down) and depth; for the 3D view, the composed hand
// space. `mvp` takes world to clip space.
layout(location = 0) in vec3 position;
layout(location = 1) in vec3 normal;
uniform mat4 mvp;
out vec3 world_normal;

void main() {
  world_normal = normal;
  gl_Position = mvp * vec4(position, 1.0);
}
