#pragma once
// The reference demo's post-processing of the network's vertices into its
// output meshes (demo/demo.py), and the mesh helpers the exporters share.
// Pure functions: any thread, no state.

#include <array>
#include <cstdint>
#include <vector>

#include "core/mesh/mesh.h"
#include "core/types.h"

namespace intershape::core {

// A hand the network marks present (InterNet's hand-type probability). The
// exports leave absent hands out (no OBJ/PLY file, hidden in the glTF rig,
// flagged in the BVH's JSON); the GUI has its own slider.
inline constexpr float kPresenceThreshold = 0.5f;
inline bool hand_present(const HandOutput& hand) { return hand.presence >= kPresenceThreshold; }

// Vertices in the demo's normalised coordinates (unitless: 1 = the hand's
// wrist-to-middle-MCP length, joint 0 to joint 4), [778*3] each.
//   right = (V_r - J_r[4]) / |J_r[4] - J_r[0]|
//   left  = ((V_l - J_l[4]) / |J_l[4] - J_l[0]| + trans[1:4]) * exp(trans[0])
// so the left hand sits in the right hand's normalised frame. Both are
// core/mesh/hand_composition.h's compose_hand (which the 3D view uses too);
// these throw std::invalid_argument unless the hand has 778x3 vertices and
// 21x3 joints.
std::vector<float> right_verts_normalized(const NetworkOutput& out);
std::vector<float> left_verts_transformed(const NetworkOutput& out);

// Meshes and their normals (core/mesh/mesh.h), under the names the exporters use.
using mesh::Mesh;
using mesh::vertex_normals;

// The demo's three meshes of one result. `faces` are the estimator's
// (HandEstimator::faces(), [1540*3] per hand). Interacting = right then left,
// left triangle indices offset by 778.
Mesh right_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);
Mesh left_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);
Mesh interacting_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);

}  // namespace intershape::core
