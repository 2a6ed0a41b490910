#version 330 core
// A textured rectangle without vertex buffers: gl_VertexID 0..3 as a triangle
// strip. `rect` is (x0, y0, x1, y1) in normalised device coordinates; `uv_rect`
// the texture coordinates at those corners (flip or mirror by swapping).
uniform vec4 rect;
uniform vec4 uv_rect;
out vec2 uv;

void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  uv = mix(uv_rect.xy, uv_rect.zw, corner);
  gl_Position = vec4(mix(rect.xy, rect.zw, corner), 0.0, 1.0);
}
