// The network against the reference fixtures (tests/data/parity): weights from
// the WEIGHTS.md rule, MANO from tests/data/mano, input.png's pixels (256x256,
// the network input itself; as input.ppm). The device is INTERSHAPE_TEST_DEVICE
// (default cpu; scripts/device_check.sh runs these on CUDA where there is one).
//
// Tolerances (the fixture README lists the reference's own 1-thread vs
// 2-thread differences, which come from nothing but a different summation
// order in the convolutions): attention 5.2e-6, downsampled heatmap 7.2e-6,
// pose 9.5e-7, betas 3.0e-6, stage maps 3.2e-6, trans 1.8e-7, joints and
// vertices 1.9e-4 mm. This port changes the summation order further (BatchNorm
// folded into the convolutions, transposed convolutions as sub-pixel
// convolutions, any thread count), so it is held to ~10-50x those numbers:
// 1e-4 on heatmap values, maps, pose, betas and trans, 1e-2 mm on joints and
// vertices. A wrong operation (wrong order of concatenation, a missing
// ReLU, a wrong joint index) moves these by 1e-2..1e+2, far outside. The 2D
// argmax positions must match exactly: the smallest gap between a joint's best
// and second-best cell is 8.1e-3, 80x the heatmap tolerance.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/net/network.h"
#include "tests/net/parity_input.h"
#include "tests/npy.h"

using namespace intershape;
using core::net::RgbView;
using core::net::TwoHandNetwork;
using test::load_npy;
using test::NpyArray;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;

NpyArray expected(const std::string& name) {
  return load_npy(kData + "/parity/expected/" + name + ".npy");
}

struct Shared {
  std::unique_ptr<TwoHandNetwork> net;
  RgbView input;
  core::net::NetworkOutput out;
};

// One model for the whole executable: loading (filling 141 M weights and
// preparing them) is the slow part.
Shared& shared() {
  static Shared s = [] {
    Shared s;
    core::net::NetworkConfig config;
    config.synthetic = true;
    config.mano_dir = kData + "/mano";
    config.device = test::test_device();
    s.net = TwoHandNetwork::create(config);
    MESSAGE("network: " << s.net->describe());
    s.input = test::view_of(test::parity_image());
    core::net::EstimateOptions options;
    options.stage_details = true;
    options.attention_details = true;
    options.full_heatmaps = true;
    s.out = s.net->estimate(s.input, options);
    return s;
  }();
  return s;
}

// Max |a - b| over matching elements; sizes must agree.
double max_diff(const std::vector<float>& got, const std::vector<float>& want) {
  REQUIRE(got.size() == want.size());
  double m = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - want[i]);
    if (!(d <= m)) m = d;  // NaN propagates as a failure
  }
  return m;
}

std::vector<float> slice(const std::vector<float>& v, size_t begin, size_t count) {
  REQUIRE(begin + count <= v.size());
  return std::vector<float>(v.begin() + static_cast<long>(begin),
                            v.begin() + static_cast<long>(begin + count));
}

template <size_t N>
std::vector<float> vec(const std::array<float, N>& a) {
  return std::vector<float>(a.begin(), a.end());
}

const std::string kHands[2] = {"right", "left"};

}  // namespace

TEST_CASE("the input tensor equals the reference's exactly") {
  const std::vector<float> chw = core::net::input_to_chw(test::view_of(test::parity_image()));
  const NpyArray want = expected("input_tensor");
  REQUIRE(want.shape == std::vector<int64_t>{1, 3, 256, 256});
  CHECK(max_diff(chw, want.as_float()) == 0.0);
}

TEST_CASE("xyc: argmax cells exact, peak values within 1e-4") {
  const core::net::NetworkOutput& out = shared().out;
  const std::vector<float> want = expected("xyc").as_float();  // [1,42,3]
  double c_diff = 0;
  for (int j = 0; j < core::net::kJoints; ++j) {
    CAPTURE(j);
    CHECK(out.xyc[j][0] == want[j * 3 + 0]);
    CHECK(out.xyc[j][1] == want[j * 3 + 1]);
    c_diff = std::max(c_diff, static_cast<double>(std::fabs(out.xyc[j][2] - want[j * 3 + 2])));
  }
  MESSAGE("xyc confidence max diff " << c_diff);
  CHECK(c_diff < 1e-4);
}

TEST_CASE("attention maps within 1e-4") {
  const core::net::NetworkOutput& out = shared().out;
  const double d = max_diff(out.attention, expected("attention").as_float());
  MESSAGE("attention max diff " << d);
  CHECK(d < 1e-4);
}

TEST_CASE("downsampled heatmap (depth /4, y and x /2) within 1e-4; depth maxima consistent") {
  const core::net::NetworkOutput& out = shared().out;
  REQUIRE(out.attention_detail);
  const std::vector<float>& h = out.attention_detail->heatmaps;  // [42,64,64,64]
  REQUIRE(h.size() == size_t{42} * 64 * 64 * 64);
  std::vector<float> d(size_t{672} * 32 * 32);
  for (int j = 0; j < 42; ++j)
    for (int k = 0; k < 16; ++k)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x)
          d[((j * 16 + k) * 32 + y) * 32 + x] =
              h[((size_t(j) * 64 + 4 * k) * 64 + 2 * y) * 64 + 2 * x];
  const double diff = max_diff(d, expected("downsampled_heatmap").as_float());
  MESSAGE("downsampled heatmap max diff " << diff);
  CHECK(diff < 1e-4);

  // Depth maxima: exactly the max over depth of the full heatmaps, and their
  // per-hand channel max is the attention map.
  const std::vector<float>& dm = out.attention_detail->heatmap_depth_max;
  REQUIRE(dm.size() == size_t{42} * 64 * 64);
  double worst = 0, worst_att = 0;
  for (int j = 0; j < 42; ++j)
    for (int yx = 0; yx < 64 * 64; ++yx) {
      float m = -INFINITY;
      for (int z = 0; z < 64; ++z) m = std::max(m, h[(size_t(j) * 64 + z) * 4096 + yx]);
      worst = std::max(worst, static_cast<double>(std::fabs(m - dm[size_t(j) * 4096 + yx])));
    }
  for (int hand = 0; hand < 2; ++hand)
    for (int yx = 0; yx < 64 * 64; ++yx) {
      float m = -INFINITY;
      for (int j = 0; j < 21; ++j) m = std::max(m, dm[size_t(hand * 21 + j) * 4096 + yx]);
      worst_att =
          std::max(worst_att, static_cast<double>(std::fabs(m - out.attention[hand * 4096 + yx])));
    }
  CHECK(worst == 0.0);
  CHECK(worst_att == 0.0);
}

TEST_CASE("MANO pose and betas of every stage within 1e-4") {
  const core::net::NetworkOutput& out = shared().out;
  REQUIRE(out.stages.size() == 4);
  for (int h = 0; h < 2; ++h) {
    const std::vector<float> pose = expected(kHands[h] + "_pose_stages").as_float();    // [1,4,48]
    const std::vector<float> shape = expected(kHands[h] + "_shape_stages").as_float();  // [1,4,10]
    for (int s = 0; s < 4; ++s) {
      CAPTURE(kHands[h]);
      CAPTURE(s);
      const double dp = max_diff(vec(out.stages[s].params[h].pose), slice(pose, s * 48, 48));
      const double ds = max_diff(vec(out.stages[s].params[h].shape), slice(shape, s * 10, 10));
      MESSAGE(kHands[h] << " stage " << s << ": pose max diff " << dp << ", betas max diff " << ds);
      CHECK(dp < 1e-4);
      CHECK(ds < 1e-4);
    }
    // The final parameters are stage 3's.
    CHECK(max_diff(vec(out.hands[h].params.pose), slice(pose, 3 * 48, 48)) < 1e-4);
    CHECK(max_diff(vec(out.hands[h].params.shape), slice(shape, 3 * 10, 10)) < 1e-4);
  }
}

TEST_CASE("trans within 1e-4") {
  const core::net::NetworkOutput& out = shared().out;
  const double d = max_diff(vec(out.trans), expected("trans").as_float());
  MESSAGE("trans max diff " << d);
  CHECK(d < 1e-4);
}

TEST_CASE("refinement stage maps within 1e-4") {
  const core::net::NetworkOutput& out = shared().out;
  REQUIRE(out.attention_detail);
  for (int h = 0; h < 2; ++h)
    for (int s = 1; s <= 3; ++s) {
      const NpyArray want =
          expected("stage_map_" + std::string(kHands[h]) + "_" + std::to_string(s));
      const double d = max_diff(out.attention_detail->stage_maps[h][s - 1], want.as_float());
      MESSAGE(kHands[h] << " stage map " << s << " max diff " << d);
      CHECK(d < 1e-4);
    }
}

TEST_CASE("joints and vertices of every stage, and the final ones, within 0.01 mm") {
  const core::net::NetworkOutput& out = shared().out;
  REQUIRE(out.stages.size() == 4);
  for (int h = 0; h < 2; ++h) {
    const std::vector<float> joints =
        expected(kHands[h] + "_joints3d_stages").as_float();  // [1,4,21,3]
    const std::vector<float> verts =
        expected(kHands[h] + "_verts3d_stages").as_float();  // [1,4,778,3]
    for (int s = 0; s < 4; ++s) {
      const double dj = max_diff(out.stages[s].joints3d[h], slice(joints, s * 63, 63));
      const double dv = max_diff(out.stages[s].verts3d[h], slice(verts, s * 2334, 2334));
      MESSAGE(kHands[h] << " stage " << s << ": joints max diff " << dj << " mm, vertices " << dv
                        << " mm");
      CHECK(dj < 1e-2);
      CHECK(dv < 1e-2);
    }
  }
  const std::vector<float> joints = expected("joints3d").as_float();  // [1,42,3]
  const std::vector<float> verts = expected("verts3d").as_float();    // [1,1556,3]
  double dj = 0, dv = 0;
  for (int h = 0; h < 2; ++h) {
    dj = std::max(dj, max_diff(out.hands[h].joints3d, slice(joints, h * 63, 63)));
    dv = std::max(dv, max_diff(out.hands[h].verts3d, slice(verts, h * 2334, 2334)));
  }
  MESSAGE("final joints max diff " << dj << " mm, vertices " << dv << " mm");
  CHECK(dj < 1e-2);
  CHECK(dv < 1e-2);
}

TEST_CASE("hand presence matches the reference's hand_fc") {
  // The fixtures do not hold hand_fc's output; these two values were computed
  // with PyTorch by a line-for-line re-implementation of the reference code
  // (same weights from make_checkpoint.py, same input tensor; it reproduces
  // the fixture's vertices within 1.5e-4 mm), 1 thread: sigmoid(hand_fc(gap(F))).
  const core::net::NetworkOutput& out = shared().out;
  const float want[2] = {0.007522408850491047f, 0.020265523344278336f};  // right, left
  for (int h = 0; h < 2; ++h) {
    MESSAGE(kHands[h] << " presence " << out.hands[h].presence << ", diff "
                      << out.hands[h].presence - want[h]);
    CHECK(std::fabs(out.hands[h].presence - want[h]) < 1e-5);
  }
}

TEST_CASE("faces come from the MANO models; presence is a probability; timings are filled") {
  Shared& s = shared();
  for (int h = 0; h < 2; ++h) {
    const std::vector<int32_t> want = expected("faces_" + kHands[h]).as_int32();
    CHECK(s.net->faces()[h] == want);
    CHECK(s.out.hands[h].presence > 0.f);
    CHECK(s.out.hands[h].presence < 1.f);
  }
  const auto& t = s.out.timings;
  CHECK(t.internet_ms > 0);
  CHECK(t.meshreg_ms > 0);
  CHECK(t.cascade_ms > 0);
  CHECK(t.mano_ms > 0);
  CHECK(t.total_ms >= t.internet_ms + t.attention_ms + t.meshreg_ms);
  const std::string device = test::test_device() == "cuda" ? "cuda:0" : test::test_device();
  CHECK(s.net->describe().find(device) == 0);
}

TEST_CASE("details are left out unless asked for") {
  Shared& s = shared();
  const core::net::NetworkOutput out = s.net->estimate(s.input, core::net::EstimateOptions{});
  CHECK(out.stages.empty());
  CHECK(out.attention_detail == nullptr);
  CHECK(max_diff(out.hands[0].verts3d, s.out.hands[0].verts3d) == 0.0);
  core::net::EstimateOptions maps_only;
  maps_only.attention_details = true;
  const core::net::NetworkOutput with_maps = s.net->estimate(s.input, maps_only);
  REQUIRE(with_maps.attention_detail);
  CHECK(with_maps.attention_detail->heatmaps.empty());
  CHECK(with_maps.attention_detail->heatmap_depth_max.size() == size_t{42} * 64 * 64);
}

TEST_CASE("a batch of two gives each image its own result") {
  Shared& s = shared();
  // The picture mirrored left to right.
  core::formats::RgbImage flipped_image = test::parity_image();
  for (int y = 0; y < flipped_image.height; ++y)
    for (int x = 0; x < flipped_image.width; ++x)
      for (int c = 0; c < 3; ++c)
        flipped_image.pixels[(y * flipped_image.width + x) * 3 + c] =
            test::parity_image()
                .pixels[(y * flipped_image.width + flipped_image.width - 1 - x) * 3 + c];
  const RgbView flipped = test::view_of(flipped_image);
  const std::vector<core::net::NetworkOutput> outs = s.net->estimate_batch({flipped, s.input}, {});
  REQUIRE(outs.size() == 2);
  const core::net::NetworkOutput single = s.net->estimate(flipped, {});
  for (int j = 0; j < core::net::kJoints; ++j) {
    CHECK(outs[1].xyc[j][0] == s.out.xyc[j][0]);
    CHECK(outs[1].xyc[j][1] == s.out.xyc[j][1]);
    CHECK(outs[0].xyc[j][0] == single.xyc[j][0]);
  }
  for (int h = 0; h < 2; ++h) {
    CHECK(max_diff(outs[1].hands[h].verts3d, s.out.hands[h].verts3d) < 1e-2);
    CHECK(max_diff(outs[0].hands[h].verts3d, single.hands[h].verts3d) < 1e-2);
  }
  // The flipped picture is a different input: its result differs.
  CHECK(max_diff(outs[0].hands[0].verts3d, outs[1].hands[0].verts3d) > 1.0);
}

TEST_CASE("a wrong input size, an empty view or a short stride is a clear error") {
  Shared& s = shared();
  const std::vector<uint8_t> pixels(300 * 300 * 3, 0);
  CHECK_THROWS_WITH_AS(s.net->estimate(RgbView{pixels.data(), 128, 128, 384}, {}),
                       doctest::Contains("256x256"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(s.net->estimate(RgbView{}, {}), doctest::Contains("empty"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(s.net->estimate(RgbView{pixels.data(), 256, 256, 700}, {}),
                       doctest::Contains("stride"), std::invalid_argument);
  CHECK_THROWS_AS(s.net->estimate_batch({}, {}), std::invalid_argument);
  // A view into a larger picture (rows 900 bytes apart) is fine.
  std::vector<uint8_t> big(300 * 300 * 3, 0);
  const core::formats::RgbImage& in = test::parity_image();
  for (int y = 0; y < 256; ++y)
    std::copy_n(in.pixels.data() + y * 768, 768, big.data() + (y + 10) * 900 + 30);
  const core::net::NetworkOutput out =
      s.net->estimate(RgbView{big.data() + 10 * 900 + 30, 256, 256, 900}, {});
  CHECK(max_diff(out.hands[1].joints3d, s.out.hands[1].joints3d) == 0.0);
}

TEST_CASE("bad configurations are ModelErrors that say what is wrong") {
  core::net::NetworkConfig c;
  c.synthetic = true;
  c.mano_dir = kData + "/mano";
  c.device = "cpu";
  c.precision = "fp16";
  CHECK_THROWS_WITH_AS(TwoHandNetwork::create(c), doctest::Contains("fp16 needs a CUDA device"),
                       core::net::ModelError);
  c.precision = "int8";
  CHECK_THROWS_WITH_AS(TwoHandNetwork::create(c), doctest::Contains("unknown precision 'int8'"),
                       core::net::ModelError);
  c.precision = "fp32";
  c.device = "tpu";
  CHECK_THROWS_WITH_AS(TwoHandNetwork::create(c), doctest::Contains("unknown device 'tpu'"),
                       core::net::ModelError);
  c.device = "cuda:x";
  CHECK_THROWS_AS(TwoHandNetwork::create(c), core::net::ModelError);
  c.device = "cpu";
  c.mano_dir.clear();
  CHECK_THROWS_WITH_AS(TwoHandNetwork::create(c), doctest::Contains("need a MANO folder"),
                       core::net::ModelError);
  c.synthetic = false;
  CHECK_THROWS_WITH_AS(TwoHandNetwork::create(c), doctest::Contains("no checkpoint"),
                       core::net::ModelError);
}
