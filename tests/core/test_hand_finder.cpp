// The per-frame "localise" step: when the detector runs, which crop follows,
// still pictures versus video, and no detector at all.
#include <doctest/doctest.h>

#include "core/hand_finder.h"
#include "tests/core/detect/fake_models.h"

using namespace intershape::core;
using intershape::tests::FakeLandmarker;
using intershape::tests::FakePalm;
using intershape::tests::palm_at;

namespace {
struct Fakes {
  FakePalm* palm = nullptr;
  FakeLandmarker* landmarks = nullptr;
  std::unique_ptr<detect::HandTracker> tracker;
  Fakes() {
    auto p = std::make_unique<FakePalm>();
    auto l = std::make_unique<FakeLandmarker>();
    palm = p.get();
    landmarks = l.get();
    palm->palms = {palm_at(0.7f, 0.6f, 0.9f)};
    tracker = std::make_unique<detect::HandTracker>(std::move(p), std::move(l));
  }
};
const cv::Mat kFrame(480, 640, CV_8UC3, cv::Scalar::all(90));
}  // namespace

TEST_CASE("detect mode: the first frame acquires from the hands found, then tracks") {
  Fakes f;
  HandFinder finder(std::move(f.tracker));
  LocaliseStep s = finder.localise(kFrame);
  REQUIRE(s.detections);
  CHECK(s.detections->hands.size() == 1);
  CHECK(s.source == CropSource::kDetect);
  // Centred on the found hand (x 0.7 * 640 = 448).
  CHECK(s.crop.x0 + s.crop.side / 2 == doctest::Approx(448.f).epsilon(0.05));
  CHECK(s.crop.side < 640.f);
  std::array<std::array<float, 3>, kJoints> kp{};
  for (int j = 0; j < kJoints; ++j) kp[j] = {420.f + j, 270.f + j, 0.9f};
  finder.update(kp, 640, 480);
  s = finder.localise(kFrame);
  CHECK(s.source == CropSource::kTrack);
  CHECK(s.detections);        // the results still carry the hands
  CHECK(f.palm->calls == 2);  // one hand of max two tracked: MediaPipe detects again
}

TEST_CASE("whole mode without always_detect: the detector does not run") {
  Fakes f;
  HandFinderSettings st;
  st.crop.mode = CropMode::kWhole;
  st.always_detect = false;
  HandFinder finder(std::move(f.tracker), st);
  const LocaliseStep s = finder.localise(kFrame);
  CHECK_FALSE(s.detections);
  CHECK(f.palm->calls == 0);
  CHECK(s.source == CropSource::kWhole);
  CHECK(s.crop.side == doctest::Approx(640.f));
}

TEST_CASE("still pictures: every picture is detected afresh, no tracking across them") {
  Fakes f;
  HandFinderSettings st;
  st.still_images = true;
  HandFinder finder(std::move(f.tracker), st);
  f.landmarks->presence.clear();
  for (int i = 0; i < 3; ++i) {
    const LocaliseStep s = finder.localise(kFrame);
    REQUIRE(s.detections);
    CHECK(s.detections->palm_detection_ran);
    CHECK(s.source == CropSource::kDetect);
    std::array<std::array<float, 3>, kJoints> kp{};
    for (int j = 0; j < kJoints; ++j) kp[j] = {100.f + j, 100.f + j, 0.9f};
    finder.update(kp, 640, 480);  // ignored by the next picture
  }
  CHECK(f.palm->calls == 3);
}

TEST_CASE("no detector: crops follow the network's keypoints only; bad frames throw") {
  HandFinder finder;
  CHECK_FALSE(finder.has_detector());
  LocaliseStep s = finder.localise(kFrame);
  CHECK_FALSE(s.detections);
  CHECK(s.source == CropSource::kWhole);
  std::array<std::array<float, 3>, kJoints> kp{};
  for (int j = 0; j < kJoints; ++j) kp[j] = {300.f + j, 200.f + j, 0.9f};
  finder.update(kp, 640, 480);
  s = finder.localise(kFrame);
  CHECK(s.source == CropSource::kTrack);
  finder.set_manual({0.f, 0.f, 100.f});
  CHECK(finder.localise(kFrame).source == CropSource::kManual);
  finder.reset();
  CHECK(finder.localise(kFrame).source == CropSource::kWhole);
  CHECK_THROWS_AS(finder.localise(cv::Mat()), std::invalid_argument);
  CHECK_THROWS_AS(finder.localise(cv::Mat(4, 4, CV_8UC4)), std::invalid_argument);
}
