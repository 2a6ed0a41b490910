#pragma once
// The reference demo's post-processing of the network's vertices into its
// output meshes (demo/demo.py), and the mesh helpers the exporters share.
// Pure functions: any thread, no state.

#include <array>
#include <cstdint>
#include <vector>

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
// so the left hand sits in the right hand's normalised frame.
std::vector<float> right_verts_normalized(const NetworkOutput& out);
std::vector<float> left_verts_transformed(const NetworkOutput& out);

// Same on raw arrays: verts [778*3] mm, joints [21*3] mm.
std::vector<float> normalize_hand(const std::vector<float>& verts,
                                  const std::vector<float>& joints);

// One triangle mesh: positions [n*3], 0-based triangles [m*3].
struct Mesh {
  std::vector<float> positions;
  std::vector<int32_t> triangles;
  int vertex_count() const { return static_cast<int>(positions.size() / 3); }
  int triangle_count() const { return static_cast<int>(triangles.size() / 3); }
};

// The demo's three meshes of one result. `faces` are the estimator's
// (HandEstimator::faces(), [1540*3] per hand). Interacting = right then left,
// left triangle indices offset by 778.
Mesh right_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);
Mesh left_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);
Mesh interacting_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces);

// Area-weighted vertex normals (sum of the un-normalised face normals, i.e.
// cross products, of the triangles around each vertex, then normalised), [n*3].
// A vertex with no area around it gets (0, 0, 0). Throws std::invalid_argument
// on a triangle index out of range.
std::vector<float> vertex_normals(const Mesh& mesh);

}  // namespace intershape::core
