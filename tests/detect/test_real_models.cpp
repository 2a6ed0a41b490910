// MediaPipe's two hand models (assets/models, fetched and checked by
// scripts/fetch_hand_models.sh) load and run on the CPU with TFLite's shapes;
// damaged copies are refused with the file named, not a crash.
#include <ATen/ATen.h>
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <unistd.h>
#include <algorithm>
#include <cmath>
#include <filesystem>

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
  const fs::path tmp =
      fs::temp_directory_path() / ("intershape_damaged_" + std::to_string(::getpid()) + ".tflite");
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

// The two models on a real photo, against MediaPipe's own output on it
// (tests/data/detect/README.md): the palm detector's best anchor, decoded
// with MediaPipe's SSD anchors, and the landmark model on the region MediaPipe
// cropped. MediaPipe's palm input is [0, 1] RGB, letterboxed to 192×192; the
// landmark input [0, 1] RGB. Crop sampling differs from MediaPipe's GL path by a
// fraction of a pixel, so the landmark bound is looser than the pipeline's.
TEST_CASE("on a real photo both models agree with MediaPipe's own output") {
  const std::string data = INTERSHAPE_TEST_DATA "/detect/";
  std::ifstream in(data + "image26408_oracle.json");
  REQUIRE(in.good());
  const nlohmann::json oracle = nlohmann::json::parse(in)["image"];
  cv::Mat bgr = cv::imread(data + "image26408.jpg", cv::IMREAD_COLOR);
  REQUIRE(!bgr.empty());
  cv::Mat rgb;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  REQUIRE(rgb.cols == 256);
  REQUIRE(rgb.rows == 256);
  const std::string dir = find_hand_models("");

  // Palm detection: the square photo scaled to 192×192.
  auto palm = TfliteGraph::load(verified_hand_model_path(dir, kPalmDetectionFull), "cpu");
  cv::Mat small, f;
  cv::resize(rgb, small, cv::Size(192, 192), 0, 0, cv::INTER_LINEAR);
  small.convertTo(f, CV_32FC3, 1.0 / 255.0);
  const auto out = palm->run({at::from_blob(f.data, {1, 192, 192, 3}, at::kFloat).clone()});
  const at::Tensor scores = out[1].view({-1});
  const int64_t best = scores.argmax().item<int64_t>();
  // SSD anchors: 24×24 cells × 2, then 12×12 cells × 6 (strides 8, 16, 16, 16).
  const int64_t cells = best < 1152 ? 24 : 12;
  const int64_t cell = best < 1152 ? best / 2 : (best - 1152) / 6;
  const double ax = (cell % cells + 0.5) / cells, ay = (cell / cells + 0.5) / cells;
  const at::Tensor box = out[0][0][best];
  const double score = 1.0 / (1.0 + std::exp(-scores[best].item<double>()));
  const nlohmann::json& want = oracle["palm"]["palm_detections"][0];
  CHECK(std::abs(score - want["score"][0].get<double>()) < 0.02);
  CHECK(std::abs(box[0].item<double>() / 192 + ax - want["rect"]["x_center"].get<double>()) <
        0.015);
  CHECK(std::abs(box[1].item<double>() / 192 + ay - want["rect"]["y_center"].get<double>()) <
        0.015);
  CHECK(std::abs(box[2].item<double>() / 192 - want["rect"]["width"].get<double>()) < 0.015);

  // Landmarks on MediaPipe's rotated region, mapped back to image pixels.
  auto lm = TfliteGraph::load(verified_hand_model_path(dir, kHandLandmarkFull), "cpu");
  const nlohmann::json& rect = oracle["palm"]["hand_rects_from_palm_detections"][0];
  const double cx = rect["x_center"].get<double>() * 256, cy = rect["y_center"].get<double>() * 256;
  const double side = rect["width"].get<double>() * 256, rot = rect["rotation"].get<double>();
  const double c = std::cos(rot) * side / 224, s = std::sin(rot) * side / 224;
  cv::Mat m = (cv::Mat_<double>(2, 3) << c, -s, cx - (c - s) * 112, s, c, cy - (s + c) * 112);
  cv::Mat crop, cf;
  cv::warpAffine(rgb, crop, m, cv::Size(224, 224), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP);
  crop.convertTo(cf, CV_32FC3, 1.0 / 255.0);
  const auto o = lm->run({at::from_blob(cf.data, {1, 224, 224, 3}, at::kFloat).clone()});
  const nlohmann::json& hand = oracle["hands"][0];
  double sum = 0, worst = 0;
  for (int j = 0; j < 21; ++j) {
    const double u = o[0][0][3 * j].item<double>(), v = o[0][0][3 * j + 1].item<double>();
    const double x = m.at<double>(0, 0) * u + m.at<double>(0, 1) * v + m.at<double>(0, 2);
    const double y = m.at<double>(1, 0) * u + m.at<double>(1, 1) * v + m.at<double>(1, 2);
    const double d = std::hypot(x - hand["landmarks"][j][0].get<double>() * 256,
                                y - hand["landmarks"][j][1].get<double>() * 256);
    sum += d;
    worst = std::max(worst, d);
  }
  CHECK(sum / 21 < 2.0);
  CHECK(worst < 4.0);
  CHECK(o[1].item<double>() > 0.9);  // presence
  // The handedness output is the probability of MediaPipe's "Left" label.
  REQUIRE(hand["handedness"]["label"] == "Right");
  CHECK(std::abs((1.0 - o[2].item<double>()) - hand["handedness"]["score"].get<double>()) < 0.02);
}
