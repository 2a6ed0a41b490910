#version 330 core
// Two-sided Blinn-Phong with one directional light and ambient, in world space.
uniform vec3 base_color;
uniform float opacity;
uniform vec3 light_dir;  // towards the light, unit
uniform vec3 view_dir;   // towards the viewer, unit
in vec3 world_normal;
out vec4 color;

void main() {
  vec3 n = normalize(world_normal);
  if (dot(n, view_dir) < 0.0) n = -n;  // two-sided: MANO meshes are open
  float diffuse = max(dot(n, light_dir), 0.0);
  vec3 h = normalize(light_dir + view_dir);
  float specular = pow(max(dot(n, h), 0.0), 32.0);
  vec3 lit = base_color * (0.35 + 0.65 * diffuse) + vec3(0.25) * specular;
  color = vec4(lit, opacity);
}
