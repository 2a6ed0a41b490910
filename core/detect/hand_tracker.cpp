#include "core/detect/hand_tracker.h"

#include <time.h>
#include <algorithm>

#include <chrono>
#include <cmath>
#include <stdexcept>

#include "core/detect/hand_geometry.h"
#include "core/detect/image_crop.h"

namespace intershape::core::detect {
namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

bool same_rect(const NormRect& a, const NormRect& b) {
  return a.x_center == b.x_center && a.y_center == b.y_center && a.width == b.width &&
         a.height == b.height && a.rotation == b.rotation;
}

double cpu_ms_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

HandTracker::HandTracker(std::unique_ptr<PalmDetector> palm,
                         std::unique_ptr<HandLandmarker> landmarker, HandTrackerOptions options)
    : palm_(std::move(palm)), landmarker_(std::move(landmarker)) {
  if (!palm_ || !landmarker_) throw std::invalid_argument("HandTracker: both models are needed");
  set_options(options);
}

void HandTracker::set_options(const HandTrackerOptions& options) {
  if (options.max_hands < 1) throw std::invalid_argument("HandTracker: max_hands must be >= 1");
  options_ = options;
  palm_->set_min_score(options.min_detection_confidence);
  if (!options_.track) tracked_.clear();
  if (static_cast<int>(tracked_.size()) > options_.max_hands) tracked_.resize(options_.max_hands);
}

HandDetections HandTracker::process(const cv::Mat& bgr) {
  return process_rgb(bgr_to_rgb_float(bgr));
}

HandDetections HandTracker::process_rgb(const cv::Mat& rgb) {
  if (rgb.empty() || rgb.type() != CV_32FC3)
    throw std::invalid_argument("HandTracker: expected a non-empty RGB float image");
  HandDetections out;
  out.image_width = rgb.cols;
  out.image_height = rgb.rows;
  if (!options_.track) tracked_.clear();

  std::vector<NormRect> rois;
  if (static_cast<int>(tracked_.size()) < options_.max_hands) {
    const auto t0 = std::chrono::steady_clock::now();
    out.palms = palm_->detect(rgb);
    out.palm_ms = ms_since(t0);
    out.palm_detection_ran = true;
    if (static_cast<int>(out.palms.size()) > options_.max_hands)
      out.palms.resize(options_.max_hands);
    for (const PalmDetection& p : out.palms)
      out.palm_rois.push_back(palm_to_hand_rect(p, rgb.cols, rgb.rows));
  }
  rois = associate_rects(out.palm_rois, tracked_);
  // Tracked regions first: they win when two regions turn out to hold the
  // same hand (below).
  std::stable_partition(rois.begin(), rois.end(), [&](const NormRect& r) {
    return std::none_of(out.palm_rois.begin(), out.palm_rois.end(),
                        [&](const NormRect& p) { return same_rect(p, r); });
  });

  std::vector<NormRect> next;
  const auto t1 = std::chrono::steady_clock::now();
  for (const NormRect& roi : rois) {
    if (static_cast<int>(out.hands.size()) >= options_.max_hands) break;
    HandLandmarks hand = landmarker_->run(rgb, roi);
    if (!(hand.presence >= options_.min_tracking_confidence)) continue;
    // A non-finite output (a broken model or input) is no hand, and must not
    // become the next frame's region.
    if (std::any_of(hand.landmarks.begin(), hand.landmarks.end(), [](const Point3& p) {
          return !std::isfinite(p.x) || !std::isfinite(p.y) || !std::isfinite(p.z);
        }))
      continue;
    for (size_t i = 0; i < out.palm_rois.size(); ++i)
      if (same_rect(out.palm_rois[i], roi)) {
        hand.from_palm = true;
        hand.palm_index = static_cast<int>(i);
      }
    // A palm region and a tracked region can hold one hand and still overlap
    // too little to be associated: their landmarks' regions tell (as
    // MediaPipe's newer hand landmarker graph de-duplicates). Only against
    // tracked hands, so a single image keeps the classic graph's answer.
    const NormRect from_landmarks = landmarks_to_hand_rect(hand.landmarks, rgb.cols, rgb.rows);
    if (hand.from_palm &&
        std::any_of(out.hands.begin(), out.hands.end(), [&](const HandLandmarks& h) {
          return !h.from_palm && rect_iou(landmarks_to_hand_rect(h.landmarks, rgb.cols, rgb.rows),
                                          from_landmarks) > 0.5f;
        }))
      continue;
    next.push_back(from_landmarks);
    out.hands.push_back(hand);
  }
  out.landmarks_ms = ms_since(t1);
  if (options_.track) tracked_ = std::move(next);
  return out;
}

HandBench bench_hand_pipeline(PalmDetector& palm, HandLandmarker& landmarker, const cv::Mat& bgr,
                              int iterations) {
  const cv::Mat rgb = bgr_to_rgb_float(bgr);
  iterations = std::max(iterations, 1);
  HandBench r;
  std::vector<double> palm_ms, lm_ms, palm_cpu, lm_cpu;
  std::vector<PalmDetection> palms = palm.detect(rgb);  // warm-up
  for (int i = 0; i < iterations; ++i) {
    const double c0 = cpu_ms_now();
    const auto t0 = std::chrono::steady_clock::now();
    palms = palm.detect(rgb);
    palm_ms.push_back(ms_since(t0));
    palm_cpu.push_back(cpu_ms_now() - c0);
  }
  r.palm_ms = median(palm_ms);
  r.palm_cpu_ms = median(palm_cpu);
  r.hands = static_cast<int>(palms.size());
  // The model's cost does not depend on what it sees: with no palm, time it
  // on a centred square.
  const float side = static_cast<float>(std::min(rgb.cols, rgb.rows));
  const NormRect roi = palms.empty() ? NormRect{0.5f, 0.5f, side / rgb.cols, side / rgb.rows, 0.f}
                                     : palm_to_hand_rect(palms[0], rgb.cols, rgb.rows);
  landmarker.run(rgb, roi);  // warm-up
  for (int i = 0; i < iterations; ++i) {
    const double c0 = cpu_ms_now();
    const auto t0 = std::chrono::steady_clock::now();
    landmarker.run(rgb, roi);
    lm_ms.push_back(ms_since(t0));
    lm_cpu.push_back(cpu_ms_now() - c0);
  }
  r.landmarks_per_hand_ms = median(lm_ms);
  r.landmarks_per_hand_cpu_ms = median(lm_cpu);
  return r;
}

}  // namespace intershape::core::detect
