#include "core/crop_localiser.h"

#include <algorithm>

namespace intershape::core {
namespace {

// Every detected hand's landmark box inside the square (a few pixels' slack).
bool holds_all(const CropRect& c, const detect::HandDetections& d) {
  const float slack = 0.02f * c.side;
  for (const auto& h : d.hands) {
    const auto b = detect::landmark_box(h);
    if (b[0] < c.x0 - slack || b[1] < c.y0 - slack || b[2] > c.x0 + c.side + slack ||
        b[3] > c.y0 + c.side + slack)
      return false;
  }
  return true;
}

}  // namespace

const char* crop_mode_name(CropMode m) {
  switch (m) {
    case CropMode::kWhole:
      return "whole";
    case CropMode::kTrack:
      return "track";
    case CropMode::kDetect:
      return "detect";
  }
  return "?";
}

std::optional<CropMode> parse_crop_mode(const std::string& name) {
  for (CropMode m : {CropMode::kWhole, CropMode::kTrack, CropMode::kDetect})
    if (name == crop_mode_name(m)) return m;
  return std::nullopt;
}

const char* crop_source_name(CropSource s) {
  switch (s) {
    case CropSource::kWhole:
      return "whole";
    case CropSource::kDetect:
      return "detect";
    case CropSource::kTrack:
      return "track";
    case CropSource::kManual:
      return "manual";
  }
  return "?";
}

CropRect CropLocaliser::choose(int width, int height, const detect::HandDetections* detections) {
  if (tracker_.manual()) {
    source_ = CropSource::kManual;
    return tracker_.next(width, height);
  }
  switch (settings_.mode) {
    case CropMode::kWhole:
      source_ = CropSource::kWhole;
      return CropRect::whole_frame(width, height);
    case CropMode::kTrack: {
      const bool tracking = tracker_.tracking(width, height);
      source_ = tracking ? CropSource::kTrack : CropSource::kWhole;
      return tracker_.next(width, height);
    }
    case CropMode::kDetect:
      break;
  }
  const bool tracking = tracker_.tracking(width, height);
  const bool check = ++frames_since_check_ >= std::max(1, settings_.check_every);
  if (check) frames_since_check_ = 0;
  const bool have_hands = detections && !detections->hands.empty() &&
                          detections->image_width == width && detections->image_height == height;
  bool acquire = !tracking || requested_;
  if (!acquire && check && have_hands)
    acquire = !holds_all(tracker_.next(width, height), *detections);
  if (acquire && have_hands) {
    requested_ = false;
    // The network's keypoints on this square start a fresh track (no blending
    // from the old square).
    tracker_.reset();
    source_ = CropSource::kDetect;
    return *detect::crop_around_hands(detections->hands, settings_.acquire);
  }
  if (tracking) {
    source_ = CropSource::kTrack;
    return tracker_.next(width, height);
  }
  source_ = CropSource::kWhole;
  return CropRect::whole_frame(width, height);
}

}  // namespace intershape::core
