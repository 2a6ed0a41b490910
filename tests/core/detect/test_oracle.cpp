// The whole hand pipeline (our TFLite runtime + MediaPipe's graph logic) on
// real photos against MediaPipe's own answers (tests/data/real/oracle*.json,
// made by scripts/make_real_fixtures.sh with the official JavaScript
// solution). Needs the models (scripts/fetch_hand_models.sh).
#include <doctest/doctest.h>

#include <openssl/sha.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/detect/hand_geometry.h"
#include "core/detect/hand_models.h"
#include "core/detect/hand_tracker.h"
#include "core/detect/image_crop.h"
#include "tests/core/detect/oracle_json.h"

namespace det = intershape::core::detect;
using intershape::tests::OracleImage;
using intershape::tests::read_oracle;

namespace {
const std::string kData = INTERSHAPE_TEST_DATA;

std::string sha256_hex(const unsigned char* data, size_t n) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(data, n, d);
  std::ostringstream o;
  for (unsigned char c : d) o << std::hex << std::setw(2) << std::setfill('0') << int(c);
  return o.str();
}

det::HandTracker& tracker() {
  static std::unique_ptr<det::HandTracker> t = [] {
    det::HandTrackerOptions o;
    o.track = false;  // the oracle resets before every image
    return det::HandTracker::load(std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models", "cpu", o);
  }();
  return *t;
}

// MediaPipe's raw label is for a mirrored selfie picture; ours is the camera's.
const char* swapped(const std::string& mediapipe_label) {
  return mediapipe_label == "Left" ? "right" : "left";
}

void compare(const std::string& oracle_file, float min_detection_confidence) {
  det::HandTrackerOptions o = tracker().options();
  o.min_detection_confidence = min_detection_confidence;
  tracker().set_options(o);
  for (const OracleImage& im : read_oracle(kData + "/real/" + oracle_file)) {
    CAPTURE(oracle_file);
    CAPTURE(im.file);
    const cv::Mat bgr = cv::imread(kData + "/real/" + im.file, cv::IMREAD_COLOR);
    REQUIRE(!bgr.empty());
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    REQUIRE(rgb.isContinuous());
    // Same pixels as the oracle was given (OpenCV's decoding).
    CHECK(sha256_hex(rgb.data, rgb.total() * rgb.elemSize()) == im.rgb_sha256);

    const det::HandDetections d = tracker().process(bgr);
    REQUIRE(d.palm_detection_ran);

    // Palms and the regions the landmark model ran on.
    REQUIRE(d.palms.size() == im.palms.size());
    for (size_t i = 0; i < d.palms.size(); ++i) {
      const auto& a = d.palms[i];
      const auto& b = im.palms[i];
      CHECK(a.score == doctest::Approx(b.score).epsilon(0.02));
      CHECK(std::abs(a.xmin - b.xmin) * im.width < 1.5f);
      CHECK(std::abs(a.ymin - b.ymin) * im.height < 1.5f);
      CHECK(std::abs(a.width - b.width) * im.width < 1.5f);
      CHECK(std::abs(a.height - b.height) * im.height < 1.5f);
      for (int k = 0; k < det::kPalmKeypoints; ++k) {
        CHECK(std::abs(a.keypoints[k].x - b.keypoints[k].x) * im.width < 1.5f);
        CHECK(std::abs(a.keypoints[k].y - b.keypoints[k].y) * im.height < 1.5f);
      }
      const auto& r = d.palm_rois[i];
      const auto& q = im.palm_rois[i];
      CHECK(std::abs(r.x_center - q.x_center) * im.width < 2.f);
      CHECK(std::abs(r.y_center - q.y_center) * im.height < 2.f);
      CHECK(std::abs(r.width - q.width) * im.width < 3.f);
      CHECK(std::abs(det::normalize_radians(r.rotation - q.rotation)) < 0.02f);
      MESSAGE(im.file << " palm " << i << ": score " << a.score << " vs " << b.score << ", xmin "
                      << (a.xmin - b.xmin) * im.width << " px, rotation "
                      << det::normalize_radians(r.rotation - q.rotation) << " rad");
    }

    // Hands: count, order, handedness, landmarks, scores.
    REQUIRE(d.hands.size() == im.hands.size());
    for (size_t h = 0; h < d.hands.size(); ++h) {
      const auto& ours = d.hands[h];
      const auto& theirs = im.hands[h];
      CHECK(std::string(det::handedness_name(ours.handedness)) == swapped(theirs.label));
      CHECK(std::abs(ours.handedness_score - theirs.score) <= 0.02f);
      // The oracle does not report presence; the hand was kept, so >= 0.5.
      CHECK(ours.presence >= 0.5f);
      std::vector<float> err;
      float world_err = 0.f, z_err = 0.f;
      for (int k = 0; k < det::kHandLandmarks; ++k) {
        err.push_back(std::hypot(ours.landmarks[k].x - theirs.landmarks_px[k].x,
                                 ours.landmarks[k].y - theirs.landmarks_px[k].y));
        z_err =
            std::max(z_err, std::abs(ours.landmarks[k].z / im.width - theirs.landmarks_px[k].z));
        world_err = std::max(world_err, std::hypot(ours.world_landmarks[k].x - theirs.world[k].x,
                                                   ours.world_landmarks[k].y - theirs.world[k].y,
                                                   ours.world_landmarks[k].z - theirs.world[k].z));
      }
      std::sort(err.begin(), err.end());
      const float median = err[err.size() / 2], worst = err.back();
      MESSAGE(im.file << " hand " << h << ": landmarks median " << median << " px, max " << worst
                      << " px; handedness " << ours.handedness_score << " vs " << theirs.score
                      << "; presence " << ours.presence << "; world max " << world_err * 1000
                      << " mm; z max " << z_err);
      CHECK(median <= 1.5f);
      CHECK(worst <= 4.f);
      CHECK(world_err <= 0.005f);
      CHECK(z_err <= 0.02f);
    }
  }
}
}  // namespace

TEST_CASE("MediaPipe's hands on the real photos, default thresholds (oracle.json)") {
  compare("oracle.json", 0.5f);
}

TEST_CASE("palm threshold 0.1, applied before suppression (oracle_det0.1.json)") {
  compare("oracle_det0.1.json", 0.1f);
}

TEST_CASE("video: the next frame's region comes from the landmarks, detection skipped") {
  det::HandTrackerOptions o;
  o.max_hands = 1;  // one hand tracked = enough: no palm detection next frame
  auto t = det::HandTracker::load(std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models", "cpu", o);
  const cv::Mat bgr = cv::imread(kData + "/real/webcam_pair_offcentre.png", cv::IMREAD_COLOR);
  const auto first = t->process(bgr);
  REQUIRE(first.hands.size() == 1);
  CHECK(first.palm_detection_ran);
  const auto second = t->process(bgr);
  CHECK_FALSE(second.palm_detection_ran);
  REQUIRE(second.hands.size() == 1);
  CHECK_FALSE(second.hands[0].from_palm);
  // Same picture, a different region (from the landmarks, not the palm):
  // nearly the same landmarks (fingertips move most, ~6 px here).
  std::vector<float> err;
  for (int k = 0; k < det::kHandLandmarks; ++k)
    err.push_back(std::hypot(first.hands[0].landmarks[k].x - second.hands[0].landmarks[k].x,
                             first.hands[0].landmarks[k].y - second.hands[0].landmarks[k].y));
  std::sort(err.begin(), err.end());
  CHECK(err[err.size() / 2] < 3.f);
  CHECK(err.back() < 10.f);
  // The tracked region is the one the landmarks give, not the palm's.
  CHECK(second.hands[0].roi.rotation != first.hands[0].roi.rotation);
  CHECK(second.hands[0].handedness == first.hands[0].handedness);
  // A grey frame: the hand is lost, and the frame after detects again.
  const cv::Mat grey(bgr.size(), CV_8UC3, cv::Scalar::all(60));
  CHECK(t->process(grey).hands.empty());
  CHECK(t->tracked_hands() == 0);
  CHECK(t->process(bgr).palm_detection_ran);
  t->reset();
  CHECK(t->process(bgr).palm_detection_ran);
}

TEST_CASE("bench hook: palm detection and landmarks timed separately") {
  auto palm = det::make_palm_detector(
      det::verified_hand_model_path(std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models",
                                    det::kPalmDetectionFull),
      "cpu");
  auto lm = det::make_hand_landmarker(
      det::verified_hand_model_path(std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models",
                                    det::kHandLandmarkFull),
      "cpu");
  const cv::Mat bgr = cv::imread(kData + "/real/webcam_pair_offcentre.png", cv::IMREAD_COLOR);
  const det::HandBench b = det::bench_hand_pipeline(*palm, *lm, bgr, 5);
  MESSAGE("palm " << b.palm_ms << " ms (" << b.palm_cpu_ms << " ms CPU), landmarks "
                  << b.landmarks_per_hand_ms << " ms (" << b.landmarks_per_hand_cpu_ms
                  << " ms CPU) per hand");
  CHECK(b.hands == 1);
  CHECK(b.palm_ms > 0.0);
  CHECK(b.landmarks_per_hand_ms > 0.0);
  CHECK(b.palm_cpu_ms > 0.0);
  CHECK(b.landmarks_per_hand_cpu_ms > 0.0);
}

namespace {
// A short sequence with tracking on, against MediaPipe run the same way
// (no reset between frames): the same hands, landmarks and palm-detection
// runs frame by frame.
void compare_tracking(const std::string& oracle_file) {
  det::HandTrackerOptions o;  // track on, 2 hands, thresholds 0.5
  auto t = det::HandTracker::load(std::string(INTERSHAPE_SOURCE_DIR) + "/assets/models", "cpu", o);
  const auto frames = read_oracle(kData + "/real/" + oracle_file);
  REQUIRE(frames.size() >= 2);
  for (const OracleImage& im : frames) {
    CAPTURE(im.file);
    const cv::Mat bgr = cv::imread(kData + "/real/" + im.file, cv::IMREAD_COLOR);
    REQUIRE(!bgr.empty());
    const det::HandDetections d = t->process(bgr);
    // The oracle sees a palm packet only when palm detection ran and found one.
    CHECK(d.palms.size() == im.palms.size());
    if (!im.palms.empty()) CHECK(d.palm_detection_ran);
    REQUIRE(d.hands.size() == im.hands.size());
    for (size_t h = 0; h < d.hands.size(); ++h) {
      const auto& ours = d.hands[h];
      const auto& theirs = im.hands[h];
      CHECK(std::string(det::handedness_name(ours.handedness)) == swapped(theirs.label));
      CHECK(std::abs(ours.handedness_score - theirs.score) <= 0.02f);
      std::vector<float> err;
      for (int k = 0; k < det::kHandLandmarks; ++k)
        err.push_back(std::hypot(ours.landmarks[k].x - theirs.landmarks_px[k].x,
                                 ours.landmarks[k].y - theirs.landmarks_px[k].y));
      std::sort(err.begin(), err.end());
      MESSAGE(im.file << " hand " << h << " (" << std::string(ours.from_palm ? "palm" : "tracked")
                      << "): landmarks median " << err[err.size() / 2] << " px, max " << err.back()
                      << " px");
      CHECK(err[err.size() / 2] <= 1.5f);
      CHECK(err.back() <= 4.f);
    }
  }
}
}  // namespace

TEST_CASE("tracking matches MediaPipe's: two hands, detection skipped after the first frame") {
  compare_tracking("oracle_track_sbs.json");
}

TEST_CASE("tracking matches MediaPipe's: one hand tracked, palms detected every frame") {
  compare_tracking("oracle_track_pair.json");
}
