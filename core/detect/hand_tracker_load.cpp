// HandTracker::load, kept apart from the tracker's logic so that the logic
// (intershape_detect_pipeline) builds and is tested without LibTorch.
#include "core/detect/hand_models.h"
#include "core/detect/hand_tracker.h"

namespace intershape::core::detect {

std::unique_ptr<HandTracker> HandTracker::load(const std::string& models_dir,
                                               const std::string& device,
                                               HandTrackerOptions options) {
  const std::string dir = find_hand_models(models_dir);
  return std::make_unique<HandTracker>(
      make_palm_detector(verified_hand_model_path(dir, kPalmDetectionFull), device,
                         options.min_detection_confidence),
      make_hand_landmarker(verified_hand_model_path(dir, kHandLandmarkFull), device), options);
}

}  // namespace intershape::core::detect
