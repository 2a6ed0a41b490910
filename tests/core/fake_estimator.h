#pragma once
// TEST DOUBLE. Never used by the product. A HandEstimator that finds two
// coloured blobs in the input (saturated red = the right hand, saturated blue =
// the left hand) and answers with MANO-sized output: 21 keypoints laid out like
// a hand over each blob (confidence 0.9, or 0.05 when the blob is missing), an
// ellipsoid "hand" of 778 vertices / 1540 triangles whose joints fit the
// keypoints exactly with scale = blob size / 100 mm, attention maps, optional
// details. It can also sleep to play a slow network, and it records what it saw
// so tests can check that each result belongs to its frame.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "core/hand_estimator.h"

namespace intershape::testing {

using namespace intershape::core;

// Unit layout of the 21 MANO joints (x right, y down, hand up), in [-0.45, 0.45].
// Order: wrist, index 1-3, middle 1-3, pinky 1-3, ring 1-3, thumb 1-3, tips
// thumb, index, middle, ring, pinky.
inline std::array<std::array<float, 2>, kJointsPerHand> fake_joint_layout() {
  std::array<std::array<float, 2>, kJointsPerHand> p{};
  p[0] = {0.f, 0.42f};
  const float fx[5] = {-0.15f, 0.0f, 0.27f, 0.14f, -0.3f};  // index, middle, pinky, ring, thumb
  const int base[5] = {1, 4, 7, 10, 13};
  const int tip[5] = {17, 18, 20, 19, 16};
  for (int f = 0; f < 5; ++f) {
    const float y0 = f == 4 ? 0.2f : 0.05f;
    for (int k = 0; k < 3; ++k) p[base[f] + k] = {fx[f] * (1.f + 0.1f * k), y0 - 0.12f * k};
    p[tip[f]] = {fx[f] * 1.3f, y0 - 0.36f};
  }
  return p;
}

// Ellipsoid tube: 35 rings x 22 columns + 2 pole vertices (772 used, 6 spare at
// the centre) = 778 vertices; 34*22*2 side + 2*22 cap triangles = 1540.
inline std::vector<int32_t> fake_faces(bool mirrored) {
  constexpr int kRings = 35, kCols = 22;
  std::vector<int32_t> f;
  auto tri = [&](int a, int b, int c) {
    f.push_back(a);
    f.push_back(mirrored ? c : b);
    f.push_back(mirrored ? b : c);
  };
  for (int r = 0; r + 1 < kRings; ++r)
    for (int c = 0; c < kCols; ++c) {
      const int a = r * kCols + c, b = r * kCols + (c + 1) % kCols;
      tri(a, a + kCols, b);
      tri(b, a + kCols, b + kCols);
    }
  const int top = kRings * kCols, bottom = top + 1;
  for (int c = 0; c < kCols; ++c) {
    tri(top, c, (c + 1) % kCols);
    tri(bottom, (kRings - 1) * kCols + (c + 1) % kCols, (kRings - 1) * kCols + c);
  }
  return f;
}

// Vertices (mm) of the ellipsoid centred at (0, 0, 0) with radii 60, 60, 20.
inline std::vector<float> fake_vertices() {
  constexpr int kRings = 35, kCols = 22;
  constexpr float kPi = 3.14159265f;
  std::vector<float> v;
  v.reserve(kVertsPerHand * 3);
  for (int r = 0; r < kRings; ++r) {
    const float theta = kPi * (r + 1) / (kRings + 1);  // poles excluded
    for (int c = 0; c < kCols; ++c) {
      const float phi = 2 * kPi * c / kCols;
      v.push_back(60.f * std::sin(theta) * std::cos(phi));
      v.push_back(-60.f * std::cos(theta));
      v.push_back(20.f * std::sin(theta) * std::sin(phi));
    }
  }
  const float poles[2][3] = {{0, -60, 0}, {0, 60, 0}};
  for (const auto& p : poles) v.insert(v.end(), p, p + 3);
  while (v.size() < static_cast<size_t>(kVertsPerHand) * 3) v.push_back(0.f);
  return v;
}

class FakeEstimator final : public HandEstimator {
 public:
  explicit FakeEstimator(std::chrono::milliseconds delay = std::chrono::milliseconds(0))
      : delay_(delay) {
    faces_[0] = fake_faces(false);
    faces_[1] = fake_faces(true);
  }

  NetworkOutput estimate(const cv::Mat& input_rgb, const EstimateOptions& options) override {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);  // plays a slow forward pass
    ++calls_;
    NetworkOutput out;
    out.attention.assign(2 * kHeatmapSize * kHeatmapSize, 0.f);
    const auto layout = fake_joint_layout();
    const std::vector<float> verts = fake_vertices();
    cv::Scalar mean = cv::mean(input_rgb);
    for (int h = 0; h < 2; ++h) {
      // Right hand: red blob (R high, G and B low); left: blue blob.
      cv::Mat mask;
      if (h == 0)
        cv::inRange(input_rgb, cv::Scalar(150, 0, 0), cv::Scalar(255, 90, 90), mask);
      else
        cv::inRange(input_rgb, cv::Scalar(0, 0, 150), cv::Scalar(90, 90, 255), mask);
      const cv::Rect box = cv::boundingRect(mask);
      const bool found = cv::countNonZero(mask) > 20;
      const float size = found ? static_cast<float>(std::max(box.width, box.height)) : 64.f;
      const float cx = found ? box.x + box.width * 0.5f : 64.f + 128.f * h;
      const float cy = found ? box.y + box.height * 0.5f : 128.f;
      HandOutput& ho = out.hands[h];
      ho.presence = found ? 0.95f : 0.02f;
      ho.params.shape[0] = static_cast<float>(mean[0]);  // what this pass saw (tests)
      ho.params.shape[1] = static_cast<float>(mean[1]);
      ho.joints3d.resize(kJointsPerHand * 3);
      for (int j = 0; j < kJointsPerHand; ++j) {
        ho.joints3d[j * 3 + 0] = 100.f * layout[j][0];
        ho.joints3d[j * 3 + 1] = 100.f * layout[j][1];
        ho.joints3d[j * 3 + 2] = 5.f * (j % 4);
        out.xyc[h * kJointsPerHand + j] = {(cx + size * layout[j][0]) / 4.f,
                                           (cy + size * layout[j][1]) / 4.f, found ? 0.9f : 0.05f};
      }
      ho.verts3d = verts;
      // Attention: a Gaussian over the blob (64x64 cells).
      const float sigma = std::max(2.f, size / 4.f / 2.5f);
      for (int y = 0; y < kHeatmapSize; ++y)
        for (int x = 0; x < kHeatmapSize; ++x) {
          const float dx = x - cx / 4.f, dy = y - cy / 4.f;
          out.attention[(h * kHeatmapSize + y) * kHeatmapSize + x] =
              (found ? 1.f : 0.1f) * std::exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
        }
    }
    // Left relative to right, in right-hand bone units (demo convention).
    out.trans = {0.f, (out.xyc[21][0] - out.xyc[0][0]) * 4.f / 40.f,
                 (out.xyc[21][1] - out.xyc[0][1]) * 4.f / 40.f, 0.f};
    if (options.stage_details) {
      out.stages.resize(kStages);
      for (int s = 0; s < kStages; ++s)
        for (int h = 0; h < 2; ++h) {
          out.stages[s].params[h] = out.hands[h].params;
          out.stages[s].joints3d[h] = out.hands[h].joints3d;
          out.stages[s].verts3d[h] = out.hands[h].verts3d;
          const float k = 0.7f + 0.1f * s;  // earlier stages a little smaller
          for (auto& v : out.stages[s].verts3d[h]) v *= k;
        }
    }
    if (options.attention_details) {
      auto d = std::make_shared<AttentionDetail>();
      constexpr int n = kHeatmapSize;
      d->heatmap_depth_max.assign(static_cast<size_t>(kJoints) * n * n, 0.f);
      if (options.full_heatmaps) d->heatmaps.assign(static_cast<size_t>(kJoints) * n * n * n, 0.f);
      for (int j = 0; j < kJoints; ++j) {
        const float jx = out.xyc[j][0], jy = out.xyc[j][1], jz = 32.f + (j % 8);
        for (int y = 0; y < n; ++y)
          for (int x = 0; x < n; ++x) {
            const float g =
                out.xyc[j][2] * std::exp(-((x - jx) * (x - jx) + (y - jy) * (y - jy)) / 8.f);
            d->heatmap_depth_max[(static_cast<size_t>(j) * n + y) * n + x] = g;
            if (options.full_heatmaps)
              for (int z = 0; z < n; ++z)
                d->heatmaps[((static_cast<size_t>(j) * n + z) * n + y) * n + x] =
                    g * std::exp(-(z - jz) * (z - jz) / 8.f);
          }
      }
      for (int h = 0; h < 2; ++h)
        for (int s = 0; s < 3; ++s) {
          const int side = 8 << s;
          auto& m = d->stage_maps[h][s];
          m.assign(static_cast<size_t>(side) * side, 0.f);
          for (int y = 0; y < side; ++y)
            for (int x = 0; x < side; ++x) {
              float keep = 1.f;
              for (int j = 0; j < kJointsPerHand; ++j) {
                const float px = out.xyc[h * kJointsPerHand + j][0] * side / 64.f;
                const float py = out.xyc[h * kJointsPerHand + j][1] * side / 64.f;
                keep *= 1.f - std::exp(-((px - x) * (px - x) + (py - y) * (py - y)) / 3.f);
              }
              m[static_cast<size_t>(y) * side + x] = 1.f - keep;
            }
        }
      out.attention_detail = d;
    }
    out.timings.total_ms = static_cast<double>(delay_.count());
    return out;
  }

  const std::array<std::vector<int32_t>, 2>& faces() const override { return faces_; }
  // The MANO pkl files of tests/data (the GUI recorder's rig export needs a skeleton).
  std::shared_ptr<const mano::ManoPair> hand_models() const override {
    static const auto pair = std::make_shared<const mano::ManoPair>(
        mano::load_mano_dir(std::string(INTERSHAPE_TEST_DATA) + "/mano"));
    return pair;
  }
  std::string describe() const override { return "fake estimator (test double)"; }
  int calls() const { return calls_; }

 private:
  std::chrono::milliseconds delay_;
  std::array<std::vector<int32_t>, 2> faces_;
  std::atomic<int> calls_{0};
};

// Draws the test picture: a red square (right hand) and a blue square (left
// hand) on a green-grey background, with a bar whose brightness encodes `index`.
inline cv::Mat fake_hands_picture(int width, int height, int index) {
  cv::Mat img(height, width, CV_8UC3, cv::Scalar(60, 140, 60));  // BGR
  const int s = height / 4;
  cv::rectangle(img, cv::Rect(width / 5, height / 3, s, s), cv::Scalar(30, 30, 220), cv::FILLED);
  cv::rectangle(img, cv::Rect(width * 3 / 5, height / 3, s, s), cv::Scalar(220, 40, 30),
                cv::FILLED);
  const int level = (index * 37) % 200 + 30;
  cv::rectangle(img, cv::Rect(0, height - height / 8, width, height / 8),
                cv::Scalar(level, level, level), cv::FILLED);
  return img;
}

}  // namespace intershape::testing
