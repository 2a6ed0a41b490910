#pragma once
// Fake models for the hand tracker: a scripted palm list and a landmark model
// that answers with a fixed hand centred in the region it is given.

#include <deque>
#include <vector>

#include <opencv2/core.hpp>

#include "core/detect/hand_landmarker.h"
#include "core/detect/palm_detector.h"

namespace intershape::tests {

namespace det = intershape::core::detect;

// Fake models: a scripted palm list and a landmark model that answers with a
// fixed hand centred in the region it is given, with a scripted presence.
struct FakePalm : det::PalmDetector {
  std::vector<det::PalmDetection> palms;
  int calls = 0;
  float min_score = 0.5f;
  std::vector<det::PalmDetection> detect(const cv::Mat&) override {
    ++calls;
    std::vector<det::PalmDetection> out;
    for (const auto& p : palms)
      if (p.score >= min_score) out.push_back(p);
    return out;
  }
  void set_min_score(float s) override { min_score = s; }
};
struct FakeLandmarker : det::HandLandmarker {
  std::deque<float> presence;  // one per call; 0.9 when empty
  int calls = 0;
  // Set: the hand stays at this pixel whatever the region (a real hand that
  // does not move); else it follows the region's centre.
  bool fixed = false;
  float fixed_x = 0.f, fixed_y = 0.f;
  det::HandLandmarks run(const cv::Mat& rgb, const det::NormRect& roi) override {
    ++calls;
    det::HandLandmarks h;
    h.roi = roi;
    h.presence = presence.empty() ? 0.9f : presence.front();
    if (!presence.empty()) presence.pop_front();
    const float cx = fixed ? fixed_x : roi.x_center * rgb.cols;
    const float cy = fixed ? fixed_y : roi.y_center * rgb.rows;
    for (int i = 0; i < det::kHandLandmarks; ++i)
      h.landmarks[i] = {cx + (i % 5) * 4.f - 8.f, cy + 10.f - (i / 5) * 5.f, 0.f};
    return h;
  }
};
inline det::PalmDetection palm_at(float cx, float cy, float score) {
  det::PalmDetection p;
  p.xmin = cx - 0.05f;
  p.ymin = cy - 0.05f;
  p.width = p.height = 0.1f;
  p.score = score;
  p.keypoints[0] = {cx, cy + 0.04f};
  p.keypoints[2] = {cx, cy - 0.04f};
  return p;
}

}  // namespace intershape::tests
