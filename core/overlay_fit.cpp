#include "core/overlay_fit.h"

#include <cmath>

namespace intershape::core {

OverlayFit fit_overlay(const std::vector<float>& joints3d, const std::array<float, 3>* keypoints,
                       float min_confidence) {
  OverlayFit fit;
  if (joints3d.size() < static_cast<size_t>(kJointsPerHand) * 3) return fit;
  // Normal equations A^T W A p = A^T W b with p = (s, tx, ty), weights c^2.
  double m[3][3] = {};
  double r[3] = {};
  int used = 0;
  for (int j = 0; j < kJointsPerHand; ++j) {
    const float c = keypoints[j][2];
    if (!(c > 0.f) || c < min_confidence) continue;
    const double w = static_cast<double>(c) * c;
    const double jx = joints3d[j * 3 + 0], jy = joints3d[j * 3 + 1];
    const double kx = keypoints[j][0], ky = keypoints[j][1];
    m[0][0] += w * (jx * jx + jy * jy);
    m[0][1] += w * jx;
    m[0][2] += w * jy;
    m[1][1] += w;
    m[2][2] += w;
    r[0] += w * (jx * kx + jy * ky);
    r[1] += w * kx;
    r[2] += w * ky;
    ++used;
  }
  if (used < 2) return fit;
  m[1][0] = m[0][1];
  m[2][0] = m[0][2];
  // Closed form: eliminate tx, ty (m[1][1] == m[2][2] == sum w).
  const double sw = m[1][1];
  const double denom = m[0][0] - (m[0][1] * m[0][1] + m[0][2] * m[0][2]) / sw;
  if (!(std::fabs(denom) > 1e-9 * std::fabs(m[0][0]) && std::fabs(denom) > 1e-12)) return fit;
  const double s = (r[0] - (m[0][1] * r[1] + m[0][2] * r[2]) / sw) / denom;
  fit.scale = static_cast<float>(s);
  fit.tx = static_cast<float>((r[1] - s * m[0][1]) / sw);
  fit.ty = static_cast<float>((r[2] - s * m[0][2]) / sw);
  fit.ok = std::isfinite(fit.scale) && std::isfinite(fit.tx) && std::isfinite(fit.ty);
  return fit;
}

std::vector<float> apply_overlay(const std::vector<float>& points3d, const OverlayFit& fit) {
  std::vector<float> out(points3d.size());
  for (size_t i = 0; i + 2 < points3d.size(); i += 3) {
    out[i + 0] = fit.scale * points3d[i + 0] + fit.tx;
    out[i + 1] = fit.scale * points3d[i + 1] + fit.ty;
    out[i + 2] = std::fabs(fit.scale) * points3d[i + 2];
  }
  return out;
}

}  // namespace intershape::core
