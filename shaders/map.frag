#version 330 core
// A scalar map (attention, heatmap, stage map) in a colour scale, optionally
// blended over a base picture. The map is one float channel; values in
// [lo, hi] span the colour scale.
uniform sampler2D base;    // RGB picture (the network input crop)
uniform sampler2D values;  // R32F map
uniform bool use_base;
uniform float lo;
uniform float hi;
uniform float opacity;     // of the colour layer
in vec2 uv;
out vec4 color;

// A compact approximation of the "turbo" colour scale (Google, Apache-2.0
// polynomial fit by Ruofei Du).
vec3 turbo(float t) {
  const vec4 kr4 = vec4(0.13572138, 4.61539260, -42.66032258, 132.13108234);
  const vec4 kg4 = vec4(0.09140261, 2.19418839, 4.84296658, -14.18503333);
  const vec4 kb4 = vec4(0.10667330, 12.64194608, -60.58204836, 110.36276771);
  const vec2 kr2 = vec2(-152.94239396, 59.28637943);
  const vec2 kg2 = vec2(4.27729857, 2.82956604);
  const vec2 kb2 = vec2(-89.90310912, 27.34824973);
  t = clamp(t, 0.0, 1.0);
  vec4 v4 = vec4(1.0, t, t * t, t * t * t);
  vec2 v2 = v4.zw * v4.z;
  return vec3(dot(v4, kr4) + dot(v2, kr2), dot(v4, kg4) + dot(v2, kg2),
              dot(v4, kb4) + dot(v2, kb2));
}

void main() {
  float v = texture(values, uv).r;
  float t = (v - lo) / max(hi - lo, 1e-12);
  vec3 mapped = turbo(t);
  if (use_base) {
    vec3 picture = texture(base, uv).rgb;
    color = vec4(mix(picture, mapped, opacity), 1.0);
  } else {
    color = vec4(mapped, 1.0);
  }
}
