#pragma once
// The "localise" part of the per-frame step: MediaPipe's hands in the frame
// (detect::HandTracker, when one is loaded) and the square the two-hand
// network sees next (CropLocaliser, `--crop whole|track|detect`).
//
//   step = finder.localise(frame)        // hands (if needed) + crop + who chose it
//   ...crop, estimate...
//   finder.update(keypoints_frame, w, h) // the network's keypoints feed tracking
//
// Without a network (skeleton mode) only localise() runs: the hands are the
// result. The detector runs when the crop mode needs it, or always when
// `always_detect` is set (results carry the detections, skeleton mode).
//
// Not thread-safe: the inference worker owns one. LibTorch-free: the models
// come inside the HandTracker (made by the app with detect::HandTracker::load).

#include <memory>

#include <opencv2/core/mat.hpp>

#include "core/crop_localiser.h"
#include "core/detect/detections.h"
#include "core/detect/hand_tracker.h"
#include "core/types.h"

namespace intershape::core {

struct HandFinderSettings {
  CropLocaliserSettings crop;
  bool always_detect = true;  // run the detector every frame (results carry the hands)
  bool still_images = false;  // every frame is a new picture (folders): no tracking
};

struct LocaliseStep {
  CropRect crop;
  CropSource source = CropSource::kWhole;
  // This frame's hands; null when the detector did not run (none loaded, or
  // not needed). Immutable, shared with the result.
  std::shared_ptr<const detect::HandDetections> detections;
  double detect_ms = 0.0;  // palm detection + landmarks, this frame
};

class HandFinder {
 public:
  // `tracker` may be null (no hand models): crops then come from the network's
  // keypoints only, as `--crop track`.
  explicit HandFinder(std::unique_ptr<detect::HandTracker> tracker = nullptr,
                      HandFinderSettings settings = {});

  void set_settings(const HandFinderSettings& s);
  const HandFinderSettings& settings() const { return settings_; }
  bool has_detector() const { return tracker_ != nullptr; }
  // Replaces the detector (null to drop it); tracking restarts.
  void set_detector(std::unique_ptr<detect::HandTracker> tracker);

  // One frame (8-bit BGR). Throws std::invalid_argument on an empty or non-BGR
  // frame, and whatever the models throw.
  LocaliseStep localise(const cv::Mat& bgr);
  // The network's keypoints on that frame (frame pixels, x, y, confidence).
  void update(const std::array<std::array<float, 3>, kJoints>& keypoints_frame, int width,
              int height) {
    localiser_.update(keypoints_frame, width, height);
  }

  void set_manual(const CropRect& crop) { localiser_.set_manual(crop); }
  void request_detection() { localiser_.request_detection(); }
  // A cut or a new source: crops and hand tracking start again.
  void reset();
  CropLocaliser& localiser() { return localiser_; }

 private:
  std::unique_ptr<detect::HandTracker> tracker_;
  HandFinderSettings settings_;
  CropLocaliser localiser_;
};

}  // namespace intershape::core
