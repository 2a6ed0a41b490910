#include <doctest/doctest.h>

#include <cmath>
#include <sstream>
#include <string>

#include "core/mesh/hand_composition.h"
#include "core/mesh/mesh.h"
#include "core/mesh/mesh_text.h"

using namespace intershape::core;
using mesh::Mesh;

TEST_CASE("vertex normals are area weighted") {
  // Two triangles sharing vertex 0: a big one in the z=0 plane (normal +z,
  // area 50) and a small one in the x=0 plane (normal +x, area 0.5).
  Mesh m;
  m.positions = {0, 0, 0, 10, 0, 0, 0, 10, 0, 0, 1, 0, 0, 0, 1};
  m.triangles = {0, 1, 2, 0, 3, 4};
  const auto n = mesh::vertex_normals(m);
  REQUIRE(n.size() == 15);
  // Area weighting: (0.5, 0, 50) normalised; an unweighted mean would give (1, 0, 1)/sqrt2.
  const double len = std::sqrt(0.5 * 0.5 + 50.0 * 50.0);
  CHECK(n[0] == doctest::Approx(0.5 / len));
  CHECK(n[2] == doctest::Approx(50.0 / len));
  CHECK(n[3 * 1 + 2] == doctest::Approx(1.0));  // vertex 1 only in the big triangle
  CHECK(n[3 * 3 + 0] == doctest::Approx(1.0));  // vertex 3 only in the small one
  m.triangles = {0, 1, 7};
  CHECK_THROWS_WITH_AS(mesh::vertex_normals(m), doctest::Contains("triangle 0"),
                       std::invalid_argument);
  m.triangles = {0, -1, 2};
  CHECK_THROWS_AS(mesh::vertex_normals(m), std::invalid_argument);
}

TEST_CASE("a vertex without area gets the unit fallback normal, facing the camera") {
  // Vertex 3 is in no triangle; vertices 4..6 form a degenerate (collinear) one.
  Mesh m;
  m.positions = {0, 0, 0, 1, 0, 0, 0, 1, 0, 5, 5, 5, 0, 0, 2, 1, 0, 2, 2, 0, 2};
  m.triangles = {0, 1, 2, 4, 5, 6};
  const auto n = mesh::vertex_normals(m);
  for (int v : {3, 4, 5, 6}) {
    CAPTURE(v);
    CHECK(n[3 * v + 0] == 0.f);
    CHECK(n[3 * v + 1] == 0.f);
    CHECK(n[3 * v + 2] == -1.f);
  }
  // Every normal is unit length (glTF requires it).
  for (int v = 0; v < m.vertex_count(); ++v)
    CHECK(std::hypot(n[3 * v], n[3 * v + 1], n[3 * v + 2]) == doctest::Approx(1.0));
}

TEST_CASE("hand composition follows the reference demo") {
  std::vector<float> j(net::kJointsPerHand * 3, 0.f);
  j[4 * 3 + 0] = 3.f;  // J[4] = (3, 4, 0), J[0] = 0: bone length 5
  j[4 * 3 + 1] = 4.f;
  const std::vector<float> v = {13.f, 4.f, 10.f};
  const std::array<float, 4> trans = {std::log(2.f), 1.f, 0.f, -1.f};
  const auto r = mesh::compose_hand(net::Hand::kRight, v, j, trans);
  CHECK(r[0] == doctest::Approx(2.f));
  CHECK(r[1] == doctest::Approx(0.f));
  CHECK(r[2] == doctest::Approx(2.f));
  const auto l = mesh::compose_hand(net::Hand::kLeft, v, j, trans);
  CHECK(l[0] == doctest::Approx((2.f + 1.f) * 2.f));
  CHECK(l[1] == doctest::Approx(0.f));
  CHECK(l[2] == doctest::Approx((2.f - 1.f) * 2.f));
}

TEST_CASE("a degenerate hand has no scale: points collapse, the left hand onto trans") {
  const std::vector<float> j(net::kJointsPerHand * 3, 7.f);  // J[4] == J[0]
  const std::vector<float> v = {13.f, 4.f, 10.f, -1.f, 0.f, 2.f};
  const std::array<float, 4> trans = {std::log(2.f), 1.f, 0.f, -1.f};
  const auto r = mesh::compose_hand(net::Hand::kRight, v, j, trans);
  CHECK(r == std::vector<float>(6, 0.f));
  const auto l = mesh::compose_hand(net::Hand::kLeft, v, j, trans);
  CHECK(l == std::vector<float>{2.f, 0.f, -2.f, 2.f, 0.f, -2.f});
  CHECK_THROWS_AS(mesh::compose_hand(net::Hand::kRight, v, std::vector<float>(6), trans),
                  std::invalid_argument);
  CHECK_THROWS_AS(mesh::compose_hand(net::Hand::kRight, {1.f, 2.f}, j, trans),
                  std::invalid_argument);
}

TEST_CASE("OBJ text: comment lines, vertices, normals, 1-based faces") {
  Mesh m;
  m.positions = {0, 0, 0, 1, 0, 0, 0, 0.5f, 0};
  m.triangles = {0, 1, 2};
  const std::string text = mesh::obj_text(m, mesh::vertex_normals(m), "MANO right hand\nmetres");
  CHECK(text ==
        "# MANO right hand\n# metres\n"
        "v 0 0 0\nv 1 0 0\nv 0 0.5 0\n"
        "vn 0 0 1\nvn 0 0 1\nvn 0 0 1\n"
        "f 1//1 2//2 3//3\n");
  const std::string ply = mesh::ply_bytes(m, mesh::vertex_normals(m));
  CHECK(ply.find("element vertex 3\n") != std::string::npos);
  CHECK(ply.find("element face 1\n") != std::string::npos);
  const size_t body = ply.find("end_header\n") + 11;
  CHECK(ply.size() - body == 3 * 24 + 13);
}
