#include "core/detect/hand_localiser.h"

#include <algorithm>
#include <limits>

namespace intershape::core::detect {

std::array<float, 4> landmark_box(const HandLandmarks& hand) {
  std::array<float, 4> b{std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
                         std::numeric_limits<float>::lowest(),
                         std::numeric_limits<float>::lowest()};
  for (const Point3& p : hand.landmarks) {
    b[0] = std::min(b[0], p.x);
    b[1] = std::min(b[1], p.y);
    b[2] = std::max(b[2], p.x);
    b[3] = std::max(b[3], p.y);
  }
  return b;
}

std::optional<CropRect> crop_around_hands(const std::vector<HandLandmarks>& hands,
                                          const LocaliserSettings& s) {
  if (hands.empty()) return std::nullopt;
  std::array<float, 4> box = landmark_box(hands[0]);
  for (size_t i = 1; i < hands.size(); ++i) {
    const auto b = landmark_box(hands[i]);
    box = {std::min(box[0], b[0]), std::min(box[1], b[1]), std::max(box[2], b[2]),
           std::max(box[3], b[3])};
  }
  const float extent = std::max(box[2] - box[0], box[3] - box[1]);
  const float factor = hands.size() == 1 ? s.single_hand_side : 1.f + 2.f * s.margin;
  const float side = std::max(extent * factor, s.min_side_px);
  const float cx = (box[0] + box[2]) * 0.5f, cy = (box[1] + box[3]) * 0.5f;
  return CropRect{cx - side * 0.5f, cy - side * 0.5f, side};
}

}  // namespace intershape::core::detect
