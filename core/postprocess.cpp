#include "core/postprocess.h"

#include "core/mesh/hand_composition.h"

#include <stdexcept>
#include <string>

namespace intershape::core {
namespace {

void check_hand_sizes(const std::vector<float>& verts, const std::vector<float>& joints) {
  if (verts.size() != static_cast<size_t>(kVertsPerHand) * 3 ||
      joints.size() != static_cast<size_t>(kJointsPerHand) * 3)
    throw std::invalid_argument("postprocess: expected 778x3 vertices and 21x3 joints, got " +
                                std::to_string(verts.size()) + " and " +
                                std::to_string(joints.size()) + " values");
}

void check_faces(const std::array<std::vector<int32_t>, 2>& faces) {
  for (const auto& f : faces)
    if (f.size() != static_cast<size_t>(kFacesPerHand) * 3)
      throw std::invalid_argument("postprocess: expected 1540x3 faces per hand, got " +
                                  std::to_string(f.size()) + " values");
}

}  // namespace

std::vector<float> right_verts_normalized(const NetworkOutput& out) {
  const auto& h = out.hands[static_cast<int>(Hand::kRight)];
  check_hand_sizes(h.verts3d, h.joints3d);
  return mesh::compose_hand(Hand::kRight, h.verts3d, h.joints3d, out.trans);
}

std::vector<float> left_verts_transformed(const NetworkOutput& out) {
  const auto& h = out.hands[static_cast<int>(Hand::kLeft)];
  check_hand_sizes(h.verts3d, h.joints3d);
  return mesh::compose_hand(Hand::kLeft, h.verts3d, h.joints3d, out.trans);
}

Mesh right_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces) {
  check_faces(faces);
  return {right_verts_normalized(out), faces[0]};
}

Mesh left_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces) {
  check_faces(faces);
  return {left_verts_transformed(out), faces[1]};
}

Mesh interacting_mesh(const NetworkOutput& out, const std::array<std::vector<int32_t>, 2>& faces) {
  Mesh r = right_mesh(out, faces);
  Mesh l = left_mesh(out, faces);
  Mesh m;
  m.positions = std::move(r.positions);
  m.positions.insert(m.positions.end(), l.positions.begin(), l.positions.end());
  m.triangles = std::move(r.triangles);
  m.triangles.reserve(m.triangles.size() + l.triangles.size());
  for (int32_t i : l.triangles) m.triangles.push_back(i + kVertsPerHand);
  return m;
}

}  // namespace intershape::core
