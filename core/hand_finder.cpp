#include "core/hand_finder.h"

#include <chrono>
#include <stdexcept>

namespace intershape::core {

HandFinder::HandFinder(std::unique_ptr<detect::HandTracker> tracker, HandFinderSettings settings)
    : tracker_(std::move(tracker)), localiser_(settings.crop) {
  set_settings(settings);
}

void HandFinder::set_settings(const HandFinderSettings& s) {
  settings_ = s;
  localiser_.set_settings(s.crop);
  if (tracker_) {
    detect::HandTrackerOptions o = tracker_->options();
    o.track = !s.still_images;
    tracker_->set_options(o);
  }
}

void HandFinder::set_detector(std::unique_ptr<detect::HandTracker> tracker) {
  tracker_ = std::move(tracker);
  set_settings(settings_);
  reset();
}

void HandFinder::reset() {
  localiser_.reset();
  if (tracker_) tracker_->reset();
}

LocaliseStep HandFinder::localise(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("expected a non-empty 8-bit BGR frame");
  LocaliseStep step;
  if (tracker_ && (settings_.always_detect || localiser_.wants_detections())) {
    const auto t0 = std::chrono::steady_clock::now();
    step.detections = std::make_shared<const detect::HandDetections>(tracker_->process(bgr));
    step.detect_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  if (settings_.still_images) localiser_.reset();  // each picture is acquired afresh
  step.crop = localiser_.choose(bgr.cols, bgr.rows, step.detections.get());
  step.source = localiser_.source();
  return step;
}

}  // namespace intershape::core
