// The LibTorch-free MANO (mano/mano_kinematics.h) against the smplx fixtures.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "mano/mano_kinematics.h"
#include "tests/npy.h"

using namespace intershape::mano;

namespace {
const std::string kData = INTERSHAPE_TEST_DATA;
std::vector<float> npy(const std::string& name) {
  return intershape::test::load_npy(kData + "/mano_layer/" + name).as_float();
}
}  // namespace

TEST_CASE("CPU MANO matches smplx on the fixture poses (both hands, 8 cases)") {
  const ManoPair pair = load_mano_dir(kData + "/mano");
  const std::vector<float> pose = npy("pose.npy"), betas = npy("betas.npy");
  REQUIRE(pose.size() == 8 * 48);
  for (int side = 0; side < 2; ++side) {
    const ManoModel& model = side == 0 ? pair.right : pair.left;
    const std::string s = side == 0 ? "right" : "left";
    const std::vector<float> want_v = npy(s + "_vertices.npy"), want_j = npy(s + "_joints.npy");
    double dv = 0, dj = 0;
    for (int b = 0; b < 8; ++b) {
      const ShapedHand shaped = shape_hand(model, &betas[b * 10]);
      const PosedHand posed = pose_hand(model, shaped, &pose[b * 48]);
      for (int i = 0; i < 778 * 3; ++i)
        dv = std::max(dv, std::abs(posed.verts[i] - want_v[b * 778 * 3 + i]));
      for (int i = 0; i < 16 * 3; ++i)
        dj = std::max(dj, std::abs(posed.joints[i] - want_j[b * 16 * 3 + i]));
    }
    MESSAGE(s << ": max |vertex diff| " << dv * 1000 << " mm, joints " << dj * 1000 << " mm");
    CHECK(dv < 1e-6);  // metres
    CHECK(dj < 1e-6);
  }
}

TEST_CASE("rotation helpers round-trip, also near pi") {
  for (const auto& aa : std::vector<std::array<double, 3>>{
           {0.3, -0.2, 0.1}, {3.1, 0.05, -0.02}, {0, 0, 3.14159}, {-1.2, 2.0, 0.4}}) {
    const Mat3 r = rodrigues(aa.data());
    const Mat3 r2 = mat_from_quat(quat_from_mat(r));
    const auto back = axis_angle_from_mat(r);
    const Mat3 r3 = rodrigues(back.data());
    for (int i = 0; i < 9; ++i) {
      CHECK(std::abs(r[i] - r2[i]) < 1e-7);  // smplx's +1e-8 leaves r 1e-8 off orthonormal
      CHECK(std::abs(r[i] - r3[i]) < 1e-7);
    }
  }
}

TEST_CASE("fingertip parents carry the fingertip vertices' skin weight") {
  const ManoModel m = load_mano_pkl(kData + "/mano/MANO_RIGHT.pkl", false);
  for (int k = 0; k < 5; ++k) {
    const int v = kFingertipVertices[k];
    int best = 0;
    for (int j = 1; j < 16; ++j)
      if (m.lbs_weights[v * 16 + j] > m.lbs_weights[v * 16 + best]) best = j;
    CHECK(best == kFingertipParents[k]);
  }
}
