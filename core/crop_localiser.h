#pragma once
// Chooses the square the two-hand network sees, per frame (`--crop`):
//  - whole:  the whole frame, letterboxed (the reference demo; parity uses it);
//  - track:  the whole frame until the network's keypoints are confident, then
//            the square around them (CropTracker);
//  - detect: (default) detect + track. Acquire: when nothing is tracked (start,
//            hands lost, a cut) the square comes from MediaPipe's hands found
//            in this frame (detect::crop_around_hands); then track the
//            network's keypoints. Re-detect when their confidence drops, on
//            request, and every `check_every` frames when the tracked square
//            no longer holds every detected hand.
// A square dragged by the user (manual) wins over all of them until reset().
//
// Not thread-safe: the inference worker owns one. LibTorch-free; the
// detections come in as plain data (the worker runs the detector).

#include <optional>
#include <string>

#include "core/crop_tracker.h"
#include "core/detect/detections.h"
#include "core/detect/hand_localiser.h"
#include "core/types.h"

namespace intershape::core {

enum class CropMode { kWhole, kTrack, kDetect };
const char* crop_mode_name(CropMode m);                            // "whole", "track", "detect"
std::optional<CropMode> parse_crop_mode(const std::string& name);  // nullopt if unknown

// CropSource (who chose a crop) is in core/types.h.

struct CropLocaliserSettings {
  CropMode mode = CropMode::kDetect;
  int check_every = 30;  // frames between checks of a tracked square against the detector
  detect::LocaliserSettings acquire;
};

class CropLocaliser {
 public:
  explicit CropLocaliser(CropLocaliserSettings settings = {}, CropTrackerSettings tracker = {})
      : settings_(settings), tracker_(tracker) {}

  void set_settings(const CropLocaliserSettings& s) { settings_ = s; }
  const CropLocaliserSettings& settings() const { return settings_; }
  // The keypoint follower: its settings and the manual crop live there.
  CropTracker& tracker() { return tracker_; }
  const CropTracker& tracker() const { return tracker_; }

  // Whether the detector's hands are needed to choose crops (mode detect).
  bool wants_detections() const { return settings_.mode == CropMode::kDetect; }

  // The crop for a frame of width x height. `detections`: this frame's hands
  // (null when the detector did not run). Sets source().
  CropRect choose(int width, int height, const detect::HandDetections* detections);
  CropSource source() const { return source_; }

  // The network's keypoints on the frame (frame pixels, x, y, confidence).
  void update(const std::array<std::array<float, 3>, kJoints>& keypoints_frame, int width,
              int height) {
    tracker_.update(keypoints_frame, width, height);
  }
  // The next choose() takes its square from the detector (if it finds hands).
  void request_detection() { requested_ = true; }
  void set_manual(const CropRect& crop) { tracker_.set_manual(crop); }
  // Forget everything (a cut, a new source): the next frame acquires again.
  void reset() {
    tracker_.reset();
    frames_since_check_ = 0;
    requested_ = false;
  }

 private:
  CropLocaliserSettings settings_;
  CropTracker tracker_;
  CropSource source_ = CropSource::kWhole;
  int frames_since_check_ = 0;
  bool requested_ = false;
};

}  // namespace intershape::core
