#include "core/crop_tracker.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace intershape::core {

CropRect CropTracker::next(int width, int height) const {
  if (manual_) return {cx_ - side_ / 2, cy_ - side_ / 2, side_};
  if (!tracking_ || !settings_.follow || width != width_ || height != height_)
    return CropRect::whole_frame(width, height);
  return {cx_ - side_ / 2, cy_ - side_ / 2, side_};
}

void CropTracker::update(const std::array<std::array<float, 3>, kJoints>& kp, int width,
                         int height) {
  if (manual_) return;
  float x0 = std::numeric_limits<float>::max(), y0 = x0;
  float x1 = std::numeric_limits<float>::lowest(), y1 = x1;
  int n = 0;
  for (const auto& k : kp) {
    if (!(k[2] >= settings_.min_confidence) || !std::isfinite(k[0]) || !std::isfinite(k[1]))
      continue;
    x0 = std::min(x0, k[0]);
    y0 = std::min(y0, k[1]);
    x1 = std::max(x1, k[0]);
    y1 = std::max(y1, k[1]);
    ++n;
  }
  if (!settings_.follow || n < settings_.min_joints || width <= 0 || height <= 0) {
    tracking_ = false;
    return;
  }
  const float full = static_cast<float>(std::max(width, height));
  float side = std::max(x1 - x0, y1 - y0) * (1.f + 2.f * std::max(0.f, settings_.margin));
  side = std::clamp(side, settings_.min_side_fraction * full, full);
  const float cx = 0.5f * (x0 + x1), cy = 0.5f * (y0 + y1);
  if (!tracking_ || width != width_ || height != height_) {
    // Start from the square itself (the whole frame is a different shape of
    // crop, so blending from it would only delay the lock-on).
    cx_ = cx;
    cy_ = cy;
    side_ = side;
  } else {
    const float keep = std::clamp(settings_.smoothing, 0.f, 0.98f);
    cx_ = keep * cx_ + (1.f - keep) * cx;
    cy_ = keep * cy_ + (1.f - keep) * cy;
    side_ = keep * side_ + (1.f - keep) * side;
  }
  tracking_ = true;
  width_ = width;
  height_ = height;
}

void CropTracker::set_manual(const CropRect& crop) {
  manual_ = true;
  side_ = std::max(crop.side, 16.f);
  cx_ = crop.x0 + crop.side / 2;
  cy_ = crop.y0 + crop.side / 2;
}

void CropTracker::reset() {
  manual_ = false;
  tracking_ = false;
}

}  // namespace intershape::core
