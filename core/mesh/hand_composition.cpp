#include "core/mesh/hand_composition.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace intershape::core::mesh {

std::vector<float> compose_hand(net::Hand hand, const std::vector<float>& points,
                                const std::vector<float>& joints3d,
                                const std::array<float, 4>& trans) {
  if (joints3d.size() != static_cast<size_t>(net::kJointsPerHand) * 3 || points.size() % 3 != 0)
    throw std::invalid_argument("compose_hand: expected [n*3] points and 21x3 joints, got " +
                                std::to_string(points.size()) + " and " +
                                std::to_string(joints3d.size()) + " values");
  const double cx = joints3d[4 * 3 + 0], cy = joints3d[4 * 3 + 1], cz = joints3d[4 * 3 + 2];
  const double dx = cx - joints3d[0], dy = cy - joints3d[1], dz = cz - joints3d[2];
  const double len = std::sqrt(dx * dx + dy * dy + dz * dz);
  const double inv = len > 1e-6 && std::isfinite(len) ? 1.0 / len : 0.0;
  const double c[3] = {cx, cy, cz};
  const bool left = hand == net::Hand::kLeft;
  const double scale = left ? std::exp(static_cast<double>(trans[0])) : 1.0;
  std::vector<float> out(points.size());
  for (size_t i = 0; i < points.size(); i += 3)
    for (int k = 0; k < 3; ++k) {
      // Rounded to float after the normalisation, as the reference's float32
      // tensors are, then moved and scaled in double.
      const float v = static_cast<float>((points[i + k] - c[k]) * inv);
      out[i + k] = left ? static_cast<float>((v + static_cast<double>(trans[1 + k])) * scale) : v;
    }
  return out;
}

}  // namespace intershape::core::mesh
