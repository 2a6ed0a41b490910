#pragma once
// shaders/map.frag's colour scale (turbo polynomial), replicated for tests that
// find drawn maps in screenshots. t is clamped to [0, 1]; the result is 0..255 RGB.

#include <algorithm>

#include <opencv2/core.hpp>

namespace intershape::test {

inline cv::Vec3f turbo(float t) {
  t = std::clamp(t, 0.f, 1.f);
  const float r4[4] = {0.13572138f, 4.61539260f, -42.66032258f, 132.13108234f};
  const float g4[4] = {0.09140261f, 2.19418839f, 4.84296658f, -14.18503333f};
  const float b4[4] = {0.10667330f, 12.64194608f, -60.58204836f, 110.36276771f};
  const float r2[2] = {-152.94239396f, 59.28637943f}, g2[2] = {4.27729857f, 2.82956604f},
              b2[2] = {-89.90310912f, 27.34824973f};
  const float v4[4] = {1, t, t * t, t * t * t}, v2[2] = {t * t * t * t, t * t * t * t * t};
  cv::Vec3f c;
  for (int i = 0; i < 4; ++i) c += cv::Vec3f(v4[i] * r4[i], v4[i] * g4[i], v4[i] * b4[i]);
  for (int i = 0; i < 2; ++i) c += cv::Vec3f(v2[i] * r2[i], v2[i] * g2[i], v2[i] * b2[i]);
  return c * 255.f;
}

}  // namespace intershape::test
