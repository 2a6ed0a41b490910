#pragma once
// The reference demo's composition of the two hands (NETWORK.md §6,
// demo/demo.py): one implementation for the 3D view and every exported file,
// so they cannot differ. Pure function, any thread.

#include <array>
#include <vector>

#include "core/net/network_output.h"

namespace intershape::core::mesh {

// Points of hand `hand` in the demo's normalised coordinates (unitless: 1 =
// the hand's wrist-to-middle-MCP length, joint 0 to joint 4):
//   right: (P - J_r[4]) / |J_r[4] - J_r[0]|
//   left:  ((P - J_l[4]) / |J_l[4] - J_l[0]| + trans[1:4]) * exp(trans[0])
// so the left hand sits in the right hand's normalised frame. `points` are
// [n*3] (the 778 vertices, or joints) in the same units as `joints3d` ([21*3],
// mm from the network); `trans` is NetworkOutput::trans. Normalised in double
// and rounded to float (as the reference's float32 tensors), the left hand's
// move and scale in double again.
// A degenerate hand (|J[4] - J[0]| <= 1e-6 or not finite) has no scale: every
// point becomes (0, 0, 0) for the right hand, trans[1:4] * exp(trans[0]) for the
// left. Throws std::invalid_argument if joints3d is not [21*3] or points not [n*3].
std::vector<float> compose_hand(net::Hand hand, const std::vector<float>& points,
                                const std::vector<float>& joints3d,
                                const std::array<float, 4>& trans);

}  // namespace intershape::core::mesh
