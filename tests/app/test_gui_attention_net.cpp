// Issue 6's screenshot acceptance with the real network: the product binary,
//   intershape --input DIR --synthetic --mano tests/data/mano --frames 1
//              --panel attention --screenshot OUT.png
// on a folder holding the parity fixture's input.png (run under Xvfb by CTest;
// the child inherits DISPLAY). The synthetic rule weights on that image give
// exactly the fixture's expected/attention.npy (test_network_parity.cpp), so
// the two 220x220 maps the panel draws can be rebuilt here from the shader's
// formula (render/shaders/map.frag: turbo colour scale over the map's own
// min..max, mixed over the crop at the default opacity 0.6) and found in the
// screenshot. Measured: the rebuilt pictures match within ~1 grey level on
// average; the other hand's map, the map upside down, or no map at all are
// 19..54 levels off, so the check tells the right map from a wrong one.

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "app/gui.h"
#include "tests/app/turbo.h"
#include "tests/test_util.h"
#include "tests/npy.h"

namespace {

constexpr int kMap = 220;         // the panel's attention map size (app/gui_attention.cpp)
constexpr float kOpacity = 0.6f;  // AttentionState::opacity's default
const std::string kParity = std::string(INTERSHAPE_TEST_DATA) + "/parity";

using intershape::test::turbo;

// The picture the panel should show for a 64x64 map over the 256x256 crop
// (RGB, float): the map sampled nearest (the values texture is GL_NEAREST), the
// crop sampled nearest too (the shader's bilinear minification differs from it
// by a few levels at edges only).
cv::Mat3f rebuild(const cv::Mat3b& crop_rgb, const float* map) {
  const float lo = *std::min_element(map, map + 4096), hi = *std::max_element(map, map + 4096);
  cv::Mat3f out(kMap, kMap);
  for (int y = 0; y < kMap; ++y)
    for (int x = 0; x < kMap; ++x) {
      const float u = (x + 0.5f) / kMap, v = (y + 0.5f) / kMap;
      const float t =
          (map[static_cast<int>(v * 64) * 64 + static_cast<int>(u * 64)] - lo) / (hi - lo);
      const cv::Vec3b p = crop_rgb(static_cast<int>(v * 256), static_cast<int>(u * 256));
      out(y, x) = cv::Vec3f(p[0], p[1], p[2]) * (1 - kOpacity) + turbo(t) * kOpacity;
    }
  return out;
}

// Mean absolute difference (grey levels) between the screenshot (RGB) at (x0, y0)
// and a rebuilt map; `step` samples every step-th pixel.
double difference(const cv::Mat3b& shot, const cv::Mat3f& want, int x0, int y0, int step = 1) {
  double sum = 0;
  int n = 0;
  for (int y = 0; y < kMap; y += step)
    for (int x = 0; x < kMap; x += step, ++n) {
      const cv::Vec3b s = shot(y0 + y, x0 + x);
      const cv::Vec3f w = want(y, x);
      sum += std::fabs(s[0] - w[0]) + std::fabs(s[1] - w[1]) + std::fabs(s[2] - w[2]);
    }
  return sum / (3.0 * n);
}

struct Placement {
  double diff = 1e9;
  int x = 0, y = 0;
};

// Where in the search box the map fits the screenshot best.
Placement find_map(const cv::Mat3b& shot, const cv::Mat3f& want, cv::Rect box) {
  Placement best;
  for (int y = box.y; y <= box.y + box.height; ++y)
    for (int x = box.x; x <= box.x + box.width; ++x) {
      if (x < 0 || y < 0 || x + kMap > shot.cols || y + kMap > shot.rows) continue;
      const double d = difference(shot, want, x, y, 4);
      if (d < best.diff) best = {d, x, y};
    }
  if (best.diff < 1e9) best.diff = difference(shot, want, best.x, best.y);
  return best;
}

}  // namespace

TEST_CASE("synthetic network, --panel attention: both hands' attention maps drawn over the crop") {
  intershape::test::TempDir dir("gui_attention_net");
  std::filesystem::create_directories(dir / "frames");
  std::filesystem::copy_file(kParity + "/input.png", dir / "frames/input.png");
  const std::string shot_path = dir / "attention.png";
  const std::string cmd = std::string("'") + INTERSHAPE_BIN + "' --input " + (dir / "frames") +
                          " --synthetic --mano " + INTERSHAPE_TEST_DATA +
                          "/mano --device cpu --frames 1" + " --panel attention --screenshot " +
                          shot_path + " 2>&1";
  MESSAGE(cmd);
  const int status = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  const cv::Mat bgr = cv::imread(shot_path, cv::IMREAD_COLOR);
  REQUIRE(bgr.cols == 1280);
  REQUIRE(bgr.rows == 720);
  // Kept for people to look at.
  std::filesystem::create_directories(INTERSHAPE_SCREENSHOT_DIR);
  cv::imwrite(std::string(INTERSHAPE_SCREENSHOT_DIR) + "/gui_attention_net.png", bgr);
  cv::Mat3b shot;
  cv::cvtColor(bgr, shot, cv::COLOR_BGR2RGB);
  cv::Mat crop_bgr = cv::imread(kParity + "/input.png", cv::IMREAD_COLOR);
  REQUIRE(crop_bgr.cols == 256);
  REQUIRE(crop_bgr.rows == 256);
  cv::Mat3b crop;
  cv::cvtColor(crop_bgr, crop, cv::COLOR_BGR2RGB);
  const std::vector<float> att =
      intershape::test::load_npy(kParity + "/expected/attention.npy").as_float();
  REQUIRE(att.size() == 2 * 4096);
  const cv::Mat3f want[2] = {rebuild(crop, att.data()), rebuild(crop, att.data() + 4096)};

  // The right map: top-left of the Attention window (which opens at
  // (kPanelColumnWidth + 10, 10)), below its opacity slider and caption.
  const int left_edge = intershape::app::kPanelColumnWidth;
  const Placement right = find_map(shot, want[0], cv::Rect(left_edge, 30, 60, 90));
  MESSAGE("right map at (" << right.x << ", " << right.y << "), mean difference " << right.diff);
  CHECK(right.diff < 5.0);
  // The left map: beside it, same row.
  const Placement left = find_map(shot, want[1], cv::Rect(right.x + kMap, right.y - 2, 40, 4));
  MESSAGE("left map at (" << left.x << ", " << left.y << "), mean difference " << left.diff);
  CHECK(left.diff < 5.0);
  // Controls: at those places the other hand's map, the map upside down and
  // the bare crop do not fit, so the checks above can fail.
  CHECK(difference(shot, want[1], right.x, right.y) > 10.0);
  CHECK(difference(shot, want[0], left.x, left.y) > 10.0);
  std::vector<float> flipped(4096);
  for (int y = 0; y < 64; ++y) std::copy_n(&att[(63 - y) * 64], 64, &flipped[y * 64]);
  CHECK(difference(shot, rebuild(crop, flipped.data()), right.x, right.y) > 10.0);
  std::vector<float> flat(4096, 0.f);
  flat[0] = 1.f;  // all at the bottom of the colour scale but one cell
  CHECK(difference(shot, rebuild(crop, flat.data()), right.x, right.y) > 10.0);
}
