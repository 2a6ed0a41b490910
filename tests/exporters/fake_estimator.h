#pragma once
// A test double for HandEstimator: deterministic outputs that depend on the
// input picture, built from the parity fixture's final vertices and joints
// (so meshes are real MANO meshes) moved by amounts derived from the pixels.
// Test code only; never used by the product.

#include <array>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/hand_estimator.h"
#include "tests/npy.h"

namespace intershape::test {

class FakeEstimator : public core::HandEstimator {
 public:
  FakeEstimator() {
    const std::string dir = std::string(INTERSHAPE_TEST_DATA) + "/parity/expected/";
    verts_ = load_npy(dir + "verts3d.npy").as_float();
    joints_ = load_npy(dir + "joints3d.npy").as_float();
    trans_ = load_npy(dir + "trans.npy").as_float();
    xyc_ = load_npy(dir + "xyc.npy").as_float();
    faces_[0] = load_npy(dir + "faces_right.npy").as_int32();
    faces_[1] = load_npy(dir + "faces_left.npy").as_int32();
  }

  core::NetworkOutput estimate(const cv::Mat& input_rgb,
                               const core::EstimateOptions& options) override {
    ++calls;
    using namespace core;
    CV_Assert(input_rgb.type() == CV_8UC3 && input_rgb.rows == kInputSize &&
              input_rgb.cols == kInputSize);
    const cv::Scalar mean = cv::mean(input_rgb);  // R, G, B
    cv::Mat gray, small;
    cv::cvtColor(input_rgb, gray, cv::COLOR_RGB2GRAY);
    cv::resize(gray, small, cv::Size(kHeatmapSize, kHeatmapSize), 0, 0, cv::INTER_AREA);
    cv::Point peak;
    cv::minMaxLoc(small, nullptr, nullptr, nullptr, &peak);

    NetworkOutput o;
    const float dx = static_cast<float>(mean[0] / 10.0), dy = static_cast<float>(mean[1] / 20.0);
    const float angle = static_cast<float>(mean[2] / 255.0);
    for (int h = 0; h < 2; ++h) {
      HandOutput& hand = o.hands[h];
      auto move = [&](const float* p, int n, std::vector<float>& dst) {
        dst.resize(n * 3);
        const float c = std::cos(angle * (h ? -1.f : 1.f)), s = std::sin(angle * (h ? -1.f : 1.f));
        for (int i = 0; i < n; ++i) {
          const float x = p[3 * i], y = p[3 * i + 1], z = p[3 * i + 2];
          dst[3 * i] = c * x - s * z + dx;
          dst[3 * i + 1] = y + dy;
          dst[3 * i + 2] = s * x + c * z;
        }
      };
      move(verts_.data() + h * kVertsPerHand * 3, kVertsPerHand, hand.verts3d);
      move(joints_.data() + h * kJointsPerHand * 3, kJointsPerHand, hand.joints3d);
      for (int k = 0; k < kPoseDim; ++k) hand.params.pose[k] = std::sin(0.1f * k + angle + h);
      for (int k = 0; k < kShapeDim; ++k) hand.params.shape[k] = std::cos(0.3f * k + dx + h);
      hand.presence = h == 0 ? 0.25f + angle / 2 : 0.9f;
    }
    for (int k = 0; k < 4; ++k) o.trans[k] = trans_[k] + 0.01f * dx * (k + 1);
    for (int j = 0; j < kJoints; ++j) {
      o.xyc[j][0] = static_cast<float>((static_cast<int>(xyc_[3 * j]) + peak.x) % kHeatmapSize);
      o.xyc[j][1] = static_cast<float>((static_cast<int>(xyc_[3 * j + 1]) + peak.y) % kHeatmapSize);
      o.xyc[j][2] = xyc_[3 * j + 2] + dy;
    }
    o.attention.resize(2 * kHeatmapSize * kHeatmapSize);
    for (int i = 0; i < kHeatmapSize * kHeatmapSize; ++i) {
      o.attention[i] = small.data[i] / 50.f;
      o.attention[kHeatmapSize * kHeatmapSize + i] = (255 - small.data[i]) / 50.f;
    }
    if (options.stage_details) {
      for (int s = 0; s < kStages; ++s) {
        StageDetail d;
        for (int h = 0; h < 2; ++h) {
          d.params[h] = o.hands[h].params;
          d.params[h].pose[0] += 0.1f * (kStages - 1 - s);
          d.joints3d[h] = o.hands[h].joints3d;
          for (float& v : d.joints3d[h]) v += 0.5f * (kStages - 1 - s);
        }
        o.stages.push_back(std::move(d));
      }
    }
    if (options.attention_details) {
      auto detail = std::make_shared<AttentionDetail>();
      for (int h = 0; h < 2; ++h)
        for (int s = 1; s <= 3; ++s) {
          const int side = 4 << s;
          cv::Mat m;
          cv::resize(small, m, cv::Size(side, side), 0, 0, cv::INTER_AREA);
          auto& dst = detail->stage_maps[h][s - 1];
          dst.resize(side * side);
          for (int i = 0; i < side * side; ++i) dst[i] = (h ? 255 - m.data[i] : m.data[i]) / 255.f;
        }
      o.attention_detail = detail;
    }
    o.timings.total_ms = 1.5;
    o.timings.internet_ms = 0.5;
    return o;
  }

  const std::array<std::vector<int32_t>, 2>& faces() const override { return faces_; }
  std::string describe() const override { return "fake estimator (tests)"; }

  int calls = 0;

 private:
  std::vector<float> verts_, joints_, trans_, xyc_;
  std::array<std::vector<int32_t>, 2> faces_;
};

}  // namespace intershape::test
