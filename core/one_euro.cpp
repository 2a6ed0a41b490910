#include "core/one_euro.h"

#include <algorithm>
#include <cmath>

namespace intershape::core {
namespace {

constexpr float kPi = 3.14159265358979f;

float smoothing_alpha(float cutoff_hz, double dt_s) {
  const float tau = 1.0f / (2.0f * kPi * cutoff_hz);
  return static_cast<float>(1.0 / (1.0 + tau / dt_s));
}

}  // namespace

OneEuroParams one_euro_from_strength(float strength) {
  strength = std::clamp(strength, 0.f, 1.f);
  OneEuroParams p;
  // Strength 0 -> 1000 Hz (pass-through at video rates), 1 -> 0.3 Hz, log-spaced.
  p.min_cutoff = 1000.f * std::pow(0.3f / 1000.f, strength);
  p.beta = 0.02f;
  p.d_cutoff = 1.0f;
  return p;
}

float OneEuroFilter::filter(float x, double t_s) {
  if (!initialised_) {
    initialised_ = true;
    x_prev_ = x;
    dx_prev_ = 0.f;
    t_prev_ = t_s;
    return x;
  }
  const double dt = t_s - t_prev_;
  if (!(dt > 0.0)) return x_prev_;
  t_prev_ = t_s;
  const float dx = static_cast<float>((x - x_prev_) / dt);
  const float a_d = smoothing_alpha(params_.d_cutoff, dt);
  dx_prev_ = a_d * dx + (1.f - a_d) * dx_prev_;
  const float cutoff = params_.min_cutoff + params_.beta * std::fabs(dx_prev_);
  const float a = smoothing_alpha(cutoff, dt);
  x_prev_ = a * x + (1.f - a) * x_prev_;
  return x_prev_;
}

void OneEuroVector::filter(std::vector<float>& values, double t_s) {
  if (filters_.size() != values.size()) filters_.assign(values.size(), OneEuroFilter(params_));
  for (size_t i = 0; i < values.size(); ++i) values[i] = filters_[i].filter(values[i], t_s);
}

void OneEuroVector::set_params(OneEuroParams p) {
  params_ = p;
  for (auto& f : filters_) f.set_params(p);
}

}  // namespace intershape::core
