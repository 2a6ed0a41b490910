#pragma once
// Placing a hand mesh over the picture (the two hands in 3D are composed by
// core/mesh/hand_composition.h).
// Pure functions, any thread.

#include <array>
#include <vector>

#include "core/types.h"

namespace intershape::core {

// Orthographic placement of one hand: pixel = scale * (x, y) + (tx, ty) for a
// point (x, y, z) in the network's MANO space (mm); depth in pixels = |scale| * z.
// A negative scale is a half-turn in the picture plane (not a mirror), so depth
// keeps its sign.
struct OverlayFit {
  float scale = 0.f;
  float tx = 0.f, ty = 0.f;
  bool ok = false;  // false: too few confident joints or a degenerate system
};

// Weighted least squares for scale and offset, as the network's refinement
// does (NETWORK.md §5): minimise sum_j c_j^2 |s * J_j[x,y] + t - kp_j|^2 over the
// hand's 21 joints. `joints3d` is [21*3] mm; `keypoints` are the same hand's 21
// keypoints (x, y, confidence) in any pixel frame (the fit is in that frame).
// Joints with confidence below `min_confidence` get weight 0.
OverlayFit fit_overlay(const std::vector<float>& joints3d, const std::array<float, 3>* keypoints,
                       float min_confidence = 0.f);

// Applies a fit: [n*3] mm -> [n*3] (pixel x, pixel y, depth pixels).
std::vector<float> apply_overlay(const std::vector<float>& points3d, const OverlayFit& fit);

}  // namespace intershape::core
