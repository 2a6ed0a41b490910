// MediaPipe's two hand models (assets/models, fetched and checked by
// scripts/fetch_hand_models.sh) load and run on the CPU with TFLite's shapes;
// damaged copies are refused with the file named, not a crash.
#include <ATen/ATen.h>
#include <doctest/doctest.h>

#include <filesystem>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "core/detect/hand_models.h"
#include "core/detect/tflite_graph.h"

using namespace intershape::core::detect;
namespace fs = std::filesystem;

namespace {

std::vector<int64_t> shape(const at::Tensor& t) { return t.sizes().vec(); }

std::string load_error(const fs::path& path) {
  try {
    TfliteGraph::load(path.string(), "cpu");
  } catch (const TfliteError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("palm_detection_full: 1x192x192x3 -> 1x2016x18 boxes and 1x2016x1 scores") {
  const std::string dir = find_hand_models("");
  auto palm = TfliteGraph::load(verified_hand_model_path(dir, kPalmDetectionFull), "cpu");
  REQUIRE(palm->inputs().size() == 1);
  CHECK(palm->inputs()[0].shape == std::vector<int64_t>{1, 192, 192, 3});
  REQUIRE(palm->outputs().size() == 2);
  at::manual_seed(1);
  const auto out = palm->run({at::rand({1, 192, 192, 3}) * 2 - 1});
  REQUIRE(out.size() == 2);
  CHECK(shape(out[0]) == std::vector<int64_t>{1, 2016, 18});
  CHECK(shape(out[1]) == std::vector<int64_t>{1, 2016, 1});
  CHECK(at::isfinite(out[0]).all().item<bool>());
  CHECK(at::isfinite(out[1]).all().item<bool>());
  CHECK(out[0].abs().max().item<double>() > 0.0);  // not all zeros
  // The same input gives the same output (nothing kept between runs).
  at::manual_seed(1);
  const auto again = palm->run({at::rand({1, 192, 192, 3}) * 2 - 1});
  CHECK(at::equal(out[0], again[0]));
}

TEST_CASE("hand_landmark_full: 1x224x224x3 -> 21x3 landmarks, presence, handedness, 21x3 world") {
  const std::string dir = find_hand_models("");
  auto lm = TfliteGraph::load(verified_hand_model_path(dir, kHandLandmarkFull), "cpu");
  CHECK(lm->inputs()[0].shape == std::vector<int64_t>{1, 224, 224, 3});
  const auto out = lm->run({at::rand({1, 224, 224, 3})});
  REQUIRE(out.size() == 4);
  CHECK(shape(out[0]) == std::vector<int64_t>{1, 63});  // landmarks, pixels of the 224 crop
  CHECK(shape(out[1]) == std::vector<int64_t>{1, 1});   // hand presence (sigmoid)
  CHECK(shape(out[2]) == std::vector<int64_t>{1, 1});   // handedness (sigmoid)
  CHECK(shape(out[3]) == std::vector<int64_t>{1, 63});  // world landmarks, metres
  for (int k : {1, 2}) {
    const double p = out[k].item<double>();
    CHECK(p >= 0.0);
    CHECK(p <= 1.0);
  }
  // Noise is not a hand.
  CHECK(out[1].item<double>() < 0.5);
}

TEST_CASE("truncated and bit-flipped models are refused with the file named") {
  const fs::path src = fs::path(find_hand_models("")) / kPalmDetectionFull.name;
  std::ifstream in(src, std::ios::binary);
  const std::vector<char> bytes(std::istreambuf_iterator<char>(in), {});
  const fs::path tmp = fs::temp_directory_path() / ("intershape_damaged_" + std::to_string(::getpid()) + ".tflite");
  auto write = [&](const std::vector<char>& b) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(b.data(), static_cast<std::streamsize>(b.size()));
  };
  for (size_t n : {size_t{0}, size_t{7}, size_t{64}, bytes.size() / 2, bytes.size() - 1}) {
    write(std::vector<char>(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n)));
    const std::string msg = load_error(tmp);
    CAPTURE(n);
    CHECK(msg.find(tmp.string()) == 0);
  }
  // The root offset's high bit, the file identifier, a vtable offset.
  for (size_t at : {size_t{3}, size_t{4}, size_t{7}}) {
    std::vector<char> flipped = bytes;
    flipped[at] ^= 0x40;
    write(flipped);
    const std::string msg = load_error(tmp);
    CAPTURE(at);
    CHECK(msg.find(tmp.string()) == 0);
  }
  fs::remove(tmp);
  CHECK(load_error(tmp).find("cannot open") != std::string::npos);
}
