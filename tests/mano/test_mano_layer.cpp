// LibTorch (c10/util/logging_is_not_google_glog.h) defines glog-style CHECK
// macros that would silently replace doctest's: include it first, drop them.
#include <torch/torch.h>
#undef CHECK
#undef CHECK_EQ
#undef CHECK_NE
#undef CHECK_LT
#undef CHECK_LE
#undef CHECK_GT
#undef CHECK_GE
#include <doctest/doctest.h>

#include <string>

#include "mano/mano_layer.h"
#include "mano/mano_model.h"
#include "tests/npy.h"

using namespace intershape::mano;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;

torch::Tensor npy_tensor(const std::string& name) {
  const auto a = intershape::test::load_npy(kData + "/mano_layer/" + name);
  std::vector<float> v = a.as_float();
  return torch::from_blob(v.data(), a.shape, torch::kFloat32).clone();
}

}  // namespace

TEST_CASE("MANO layer matches smplx on the fixture poses (both hands, batch of 8)") {
  const ManoPair pair = load_mano_dir(kData + "/mano");
  const torch::Tensor pose = npy_tensor("pose.npy");
  const torch::Tensor betas = npy_tensor("betas.npy");
  REQUIRE(pose.size(0) == 8);
  for (const char* side : {"right", "left"}) {
    const std::string side_name = side;
    CAPTURE(side_name);
    const ManoModel& model = std::string(side) == "right" ? pair.right : pair.left;
    ManoLayer layer(model, torch::Device(torch::kCPU));
    const ManoLayer::Output out = layer.forward(pose, betas);
    REQUIRE(out.vertices.sizes() == torch::IntArrayRef({8, 778, 3}));
    REQUIRE(out.joints.sizes() == torch::IntArrayRef({8, 21, 3}));
    const torch::Tensor want_v = npy_tensor(std::string(side) + "_vertices.npy") * 1000.0;  // m -> mm
    const torch::Tensor want_j = npy_tensor(std::string(side) + "_joints.npy") * 1000.0;
    const double dv = (out.vertices - want_v).abs().max().item<double>();
    const double dj = (out.joints.slice(1, 0, 16) - want_j).abs().max().item<double>();
    MESSAGE(side << ": max |vertex diff| " << dv << " mm, max |joint diff| " << dj << " mm");
    CHECK(dv < 1e-3);  // 1e-6 m
    CHECK(dj < 1e-3);
    // Fingertips are the tip vertices.
    for (size_t t = 0; t < kFingertipVertices.size(); ++t) {
      CHECK(torch::equal(out.joints.select(1, 16 + static_cast<int64_t>(t)),
                         out.vertices.select(1, kFingertipVertices[t])));
    }
    // One sample alone gives the same answer as in the batch.
    const ManoLayer::Output one = layer.forward(pose.slice(0, 5, 6), betas.slice(0, 5, 6));
    CHECK((one.vertices[0] - out.vertices[5]).abs().max().item<double>() < 1e-4);
  }
}

TEST_CASE("MANO layer adds its own translation (checkpoint transl) in mm") {
  ManoModel model = load_mano_pkl(kData + "/mano/MANO_RIGHT.pkl", false);
  ManoLayer plain(model, torch::Device(torch::kCPU));
  model.transl = {0.01f, -0.02f, 0.03f};
  ManoLayer moved(model, torch::Device(torch::kCPU));
  const torch::Tensor pose = torch::zeros({1, 48});
  const torch::Tensor betas = torch::zeros({1, 10});
  const auto a = plain.forward(pose, betas);
  const auto b = moved.forward(pose, betas);
  const torch::Tensor d = (b.joints - a.joints)[0][20];
  CHECK(d[0].item<float>() == doctest::Approx(10.f).epsilon(1e-4));
  CHECK(d[1].item<float>() == doctest::Approx(-20.f).epsilon(1e-4));
  CHECK(d[2].item<float>() == doctest::Approx(30.f).epsilon(1e-4));
  CHECK_THROWS_AS(plain.forward(torch::zeros({1, 45}), betas), std::invalid_argument);
  CHECK_THROWS_AS(plain.forward(pose.to(torch::kFloat64), betas), std::invalid_argument);
}
