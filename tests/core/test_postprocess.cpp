#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/mesh/hand_composition.h"
#include "core/postprocess.h"
#include "tests/npy.h"

using namespace intershape::core;
using intershape::test::load_npy;

namespace {

const std::string kExpected = std::string(INTERSHAPE_TEST_DATA) + "/parity/expected/";

// The fixture's final network outputs as a NetworkOutput.
NetworkOutput fixture_output() {
  const auto verts = load_npy(kExpected + "verts3d.npy").as_float();    // (1,1556,3)
  const auto joints = load_npy(kExpected + "joints3d.npy").as_float();  // (1,42,3)
  const auto trans = load_npy(kExpected + "trans.npy").as_float();      // (1,4)
  REQUIRE(verts.size() == 1556 * 3);
  REQUIRE(joints.size() == 42 * 3);
  NetworkOutput o;
  for (int h = 0; h < 2; ++h) {
    o.hands[h].verts3d.assign(verts.begin() + h * 778 * 3, verts.begin() + (h + 1) * 778 * 3);
    o.hands[h].joints3d.assign(joints.begin() + h * 21 * 3, joints.begin() + (h + 1) * 21 * 3);
  }
  for (int k = 0; k < 4; ++k) o.trans[k] = trans[k];
  return o;
}

std::array<std::vector<int32_t>, 2> fixture_faces() {
  auto r = load_npy(kExpected + "faces_right.npy");
  auto l = load_npy(kExpected + "faces_left.npy");
  REQUIRE(r.descr == "<i4");
  REQUIRE(r.shape == std::vector<int64_t>{1540, 3});
  return {r.as_int32(), l.as_int32()};
}

float max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  float m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

}  // namespace

TEST_CASE("right hand normalisation matches the reference demo") {
  const auto expected = load_npy(kExpected + "right_verts_normalized.npy").as_float();
  CHECK(max_abs_diff(right_verts_normalized(fixture_output()), expected) < 1e-5f);
}

TEST_CASE("left hand placement matches the reference demo") {
  const auto expected = load_npy(kExpected + "left_verts_transformed.npy").as_float();
  CHECK(max_abs_diff(left_verts_transformed(fixture_output()), expected) < 1e-5f);
}

TEST_CASE("interacting mesh: right first, left faces offset by 778") {
  const auto faces = fixture_faces();
  const NetworkOutput o = fixture_output();
  const Mesh m = interacting_mesh(o, faces);
  REQUIRE(m.vertex_count() == 1556);
  REQUIRE(m.triangle_count() == 3080);
  const auto left = load_npy(kExpected + "left_verts_transformed.npy").as_float();
  CHECK(m.positions[778 * 3 + 5] == doctest::Approx(left[5]).epsilon(1e-5));
  CHECK(m.triangles[0] == faces[0][0]);
  CHECK(m.triangles[1540 * 3] == faces[1][0] + 778);
  CHECK(m.triangles.back() == faces[1].back() + 778);
}

TEST_CASE("wrong sizes are reported, not read out of bounds") {
  NetworkOutput o;
  CHECK_THROWS_AS(right_verts_normalized(o), std::invalid_argument);
  const auto o2 = fixture_output();
  std::array<std::vector<int32_t>, 2> faces{std::vector<int32_t>(6), std::vector<int32_t>(6)};
  CHECK_THROWS_AS(right_mesh(o2, faces), std::invalid_argument);
}

TEST_CASE("MANO mesh normals point outwards (consistent winding, both hands)") {
  const auto faces = fixture_faces();
  const NetworkOutput o = fixture_output();
  for (const Mesh& m : {right_mesh(o, faces), left_mesh(o, faces)}) {
    // Outward normals: the sum over vertices of n . (p - centroid) is positive.
    const auto n = vertex_normals(m);
    double c[3] = {0, 0, 0};
    for (int v = 0; v < m.vertex_count(); ++v)
      for (int k = 0; k < 3; ++k) c[k] += m.positions[3 * v + k] / m.vertex_count();
    double s = 0;
    for (int v = 0; v < m.vertex_count(); ++v)
      for (int k = 0; k < 3; ++k) s += n[3 * v + k] * (m.positions[3 * v + k] - c[k]);
    CHECK(s > 0);
  }
}

TEST_CASE("the exported meshes and the 3D view compose the hands identically") {
  // The GUI's 3D view calls core::mesh::compose_hand on a hand's vertices,
  // joints and trans; the exporters go through right_mesh / left_mesh. Both
  // must give the same numbers, bit for bit (they once were two functions, in
  // float and in double, with different degenerate-case rules).
  const auto faces = fixture_faces();
  const NetworkOutput o = fixture_output();
  const auto& r = o.hands[0];
  const auto& l = o.hands[1];
  CHECK(right_mesh(o, faces).positions ==
        mesh::compose_hand(Hand::kRight, r.verts3d, r.joints3d, o.trans));
  CHECK(left_mesh(o, faces).positions ==
        mesh::compose_hand(Hand::kLeft, l.verts3d, l.joints3d, o.trans));
  // And both match the reference demo's output.
  const auto left = load_npy(kExpected + "left_verts_transformed.npy").as_float();
  const auto right = load_npy(kExpected + "right_verts_normalized.npy").as_float();
  const auto lv = mesh::compose_hand(Hand::kLeft, l.verts3d, l.joints3d, o.trans);
  const auto rv = mesh::compose_hand(Hand::kRight, r.verts3d, r.joints3d, o.trans);
  REQUIRE(lv.size() == left.size());
  REQUIRE(rv.size() == right.size());
  double worst = 0;
  for (size_t i = 0; i < lv.size(); ++i)
    worst = std::max({worst, std::fabs(double(lv[i]) - left[i]), std::fabs(double(rv[i]) - right[i])});
  CHECK(worst < 1e-5);
}
