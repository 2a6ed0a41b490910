#pragma once
// Chooses the square the network sees next. Starts from the whole frame (the
// reference demo's fit); once a result has enough confident keypoints, the next
// crop is the square around them, enlarged by a margin and smoothed over time;
// when confidence drops it goes back to the whole frame. A crop set by the user
// (dragged on the video) is kept until reset().
//
// Not thread-safe: the inference worker owns one; settings are copied in.
// Units: frame pixels.

#include <array>

#include "core/types.h"

namespace intershape::core {

struct CropTrackerSettings {
  bool follow = true;              // false: always the whole frame (or the user's crop)
  float min_confidence = 0.3f;     // keypoint confidence (heatmap peak) to count a joint
  int min_joints = 6;              // fewer confident joints: back to the whole frame
  float margin = 0.3f;             // the square's side = (1 + 2*margin) * keypoints' extent
  float smoothing = 0.6f;          // 0: jump to each new square; ->1: move slowly
  float min_side_fraction = 0.2f;  // smallest side, as a fraction of max(w, h)
};

class CropTracker {
 public:
  explicit CropTracker(CropTrackerSettings settings = {}) : settings_(settings) {}

  void set_settings(const CropTrackerSettings& s) { settings_ = s; }
  const CropTrackerSettings& settings() const { return settings_; }

  // The crop to use for the next frame of size width x height.
  CropRect next(int width, int height) const;

  // Feeds the keypoints (frame pixels, 42 rows: x, y, confidence) found in a
  // frame of size width x height.
  void update(const std::array<std::array<float, 3>, kJoints>& keypoints_frame, int width,
              int height);

  // Pins the crop to `crop` (clamped to a sensible size) until reset().
  void set_manual(const CropRect& crop);
  bool manual() const { return manual_; }
  // Following confident keypoints in frames of this size (next() is not the
  // whole frame because of them).
  bool tracking(int width, int height) const {
    return tracking_ && settings_.follow && width == width_ && height == height_;
  }
  // Back to the whole frame, tracking again.
  void reset();

 private:
  CropTrackerSettings settings_;
  bool tracking_ = false;  // false: whole frame
  bool manual_ = false;
  float cx_ = 0.f, cy_ = 0.f, side_ = 0.f;  // the current square (centre, side)
  int width_ = 0, height_ = 0;
};

}  // namespace intershape::core
