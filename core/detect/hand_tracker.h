#pragma once
// MediaPipe's multi-hand tracking (hand_landmark_tracking graph) around a palm
// detector and a landmark model:
//  - palm detection runs when fewer than max_hands hands are tracked from the
//    previous frame (always, with `track` off: every image is a first frame);
//  - each palm gives a hand region (palm_to_hand_rect); tracked regions win
//    over palm regions they overlap (associate_rects);
//  - the landmark model runs on each region; hands whose presence is below
//    min_tracking_confidence are dropped;
//  - each kept hand's landmarks give its region for the next frame.
// LibTorch-free: the models come in through the PalmDetector / HandLandmarker
// interfaces. Not thread-safe: the inference worker owns one tracker.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/detect/detections.h"
#include "core/detect/hand_landmarker.h"
#include "core/detect/palm_detector.h"

namespace intershape::core::detect {

struct HandTrackerOptions {
  int max_hands = 2;
  float min_detection_confidence = 0.5f;  // palm score, applied before suppression
  float min_tracking_confidence = 0.5f;   // hand presence to keep (and track) a hand
  bool track = true;                      // false: detect on every image (photos)
};

class HandTracker {
 public:
  HandTracker(std::unique_ptr<PalmDetector> palm, std::unique_ptr<HandLandmarker> landmarker,
              HandTrackerOptions options = {});

  // Loads both models from `models_dir` (find_hand_models: size and sha256
  // checked) on `device`. Throws HandModelError / TfliteError naming the file.
  static std::unique_ptr<HandTracker> load(const std::string& models_dir, const std::string& device,
                                           HandTrackerOptions options = {});

  // One frame, 8-bit BGR as captured or decoded. Throws std::invalid_argument
  // on an empty or non-BGR image.
  HandDetections process(const cv::Mat& bgr);
  // The same on an RGB float image (bgr_to_rgb_float).
  HandDetections process_rgb(const cv::Mat& rgb);

  // Forget the tracked hands: the next frame starts with palm detection.
  void reset() { tracked_.clear(); }
  // Number of hand regions carried to the next frame.
  int tracked_hands() const { return static_cast<int>(tracked_.size()); }

  const HandTrackerOptions& options() const { return options_; }
  void set_options(const HandTrackerOptions& options);

 private:
  std::unique_ptr<PalmDetector> palm_;
  std::unique_ptr<HandLandmarker> landmarker_;
  HandTrackerOptions options_;
  std::vector<NormRect> tracked_;  // regions from the previous frame's landmarks
};

// Bench hook (`intershape bench`): palm detection and the landmark model timed
// separately on `bgr`, `iterations` times after one warm-up, with the models
// of `tracker`. Medians in milliseconds; landmarks per hand (0 when no hand).
// The *_cpu_ms figures are the process's CPU time per call (all threads
// together): on a busy shared machine they stay near the idle wall time when
// one thread runs, where the wall times do not.
struct HandBench {
  double palm_ms = 0.0;
  double landmarks_per_hand_ms = 0.0;
  double palm_cpu_ms = 0.0;
  double landmarks_per_hand_cpu_ms = 0.0;
  int hands = 0;
};
HandBench bench_hand_pipeline(PalmDetector& palm, HandLandmarker& landmarker, const cv::Mat& bgr,
                              int iterations);

}  // namespace intershape::core::detect
