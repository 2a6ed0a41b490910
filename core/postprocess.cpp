#include "core/postprocess.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace intershape::core {
namespace {

void check_hand_sizes(const std::vector<float>& verts, const std::vector<float>& joints) {
  if (verts.size() != static_cast<size_t>(kVertsPerHand) * 3 ||
      joints.size() != static_cast<size_t>(kJointsPerHand) * 3)
    throw std::invalid_argument("postprocess: expected 778x3 vertices and 21x3 joints, got " +
                                std::to_string(verts.size()) + " and " + std::to_string(joints.size()) +
                                " values");
}

void check_faces(const std::array<std::vector<int32_t>, 2>& faces) {
  for (const auto& f : faces)
    if (f.size() != static_cast<size_t>(kFacesPerHand) * 3)
      throw std::invalid_argument("postprocess: expected 1540x3 faces per hand, got " +
                                  std::to_string(f.size()) + " values");
}

}  // namespace

std::vector<float> normalize_hand(const std::vector<float>& verts, const std::vector<float>& joints) {
  check_hand_sizes(verts, joints);
  // Computed in double and rounded once, so the result is as close to the
  // reference's float32 arithmetic as float allows.
  const double cx = joints[4 * 3 + 0], cy = joints[4 * 3 + 1], cz = joints[4 * 3 + 2];
  const double dx = cx - joints[0], dy = cy - joints[1], dz = cz - joints[2];
  const double len = std::sqrt(dx * dx + dy * dy + dz * dz);
  const double inv = len > 0 ? 1.0 / len : 0.0;
  std::vector<float> out(verts.size());
  for (size_t i = 0; i < verts.size(); i += 3) {
    out[i + 0] = static_cast<float>((verts[i + 0] - cx) * inv);
    out[i + 1] = static_cast<float>((verts[i + 1] - cy) * inv);
    out[i + 2] = static_cast<float>((verts[i + 2] - cz) * inv);
  }
  return out;
}

std::vector<float> right_verts_normalized(const NetworkOutput& out) {
  const auto& h = out.hands[static_cast<int>(Hand::kRight)];
  return normalize_hand(h.verts3d, h.joints3d);
}

std::vector<float> left_verts_transformed(const NetworkOutput& out) {
  const auto& h = out.hands[static_cast<int>(Hand::kLeft)];
  std::vector<float> v = normalize_hand(h.verts3d, h.joints3d);
  const double scale = std::exp(static_cast<double>(out.trans[0]));
  for (size_t i = 0; i < v.size(); i += 3)
    for (int c = 0; c < 3; ++c) v[i + c] = static_cast<float>((v[i + c] + double(out.trans[1 + c])) * scale);
  return v;
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

std::vector<float> vertex_normals(const Mesh& mesh) {
  const int n = mesh.vertex_count();
  std::vector<double> acc(static_cast<size_t>(n) * 3, 0.0);
  const auto& p = mesh.positions;
  for (size_t t = 0; t + 2 < mesh.triangles.size(); t += 3) {
    const int32_t a = mesh.triangles[t], b = mesh.triangles[t + 1], c = mesh.triangles[t + 2];
    if (a < 0 || b < 0 || c < 0 || a >= n || b >= n || c >= n)
      throw std::invalid_argument("vertex_normals: triangle " + std::to_string(t / 3) +
                                  " has an index outside 0.." + std::to_string(n - 1));
    const double e1[3] = {p[3 * b] - double(p[3 * a]), p[3 * b + 1] - double(p[3 * a + 1]),
                          p[3 * b + 2] - double(p[3 * a + 2])};
    const double e2[3] = {p[3 * c] - double(p[3 * a]), p[3 * c + 1] - double(p[3 * a + 1]),
                          p[3 * c + 2] - double(p[3 * a + 2])};
    // |e1 x e2| is twice the triangle's area: summing the raw cross products
    // weights each face by its area.
    const double nx = e1[1] * e2[2] - e1[2] * e2[1];
    const double ny = e1[2] * e2[0] - e1[0] * e2[2];
    const double nz = e1[0] * e2[1] - e1[1] * e2[0];
    for (int32_t v : {a, b, c}) {
      acc[3 * v] += nx;
      acc[3 * v + 1] += ny;
      acc[3 * v + 2] += nz;
    }
  }
  std::vector<float> normals(acc.size(), 0.f);
  for (int v = 0; v < n; ++v) {
    const double len = std::sqrt(acc[3 * v] * acc[3 * v] + acc[3 * v + 1] * acc[3 * v + 1] +
                                 acc[3 * v + 2] * acc[3 * v + 2]);
    if (len > 0)
      for (int c = 0; c < 3; ++c) normals[3 * v + c] = static_cast<float>(acc[3 * v + c] / len);
  }
  return normals;
}

}  // namespace intershape::core
