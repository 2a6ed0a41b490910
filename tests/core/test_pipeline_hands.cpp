// The engine with MediaPipe's hand detector (fake models): skeleton mode with
// no network, detections carried by every result, the crop chosen by the
// detector, and a detector that cannot load.
#include <doctest/doctest.h>

#include "core/pipeline.h"
#include "core/sources.h"
#include "tests/core/detect/fake_models.h"
#include "tests/core/fake_estimator.h"
#include "tests/core/test_video.h"

using namespace intershape::core;
using namespace intershape::testing;
using namespace std::chrono_literals;
using intershape::tests::FakeLandmarker;
using intershape::tests::FakePalm;
using intershape::tests::palm_at;

namespace {
DetectorFactory fake_detector() {
  return [] {
    auto palm = std::make_unique<FakePalm>();
    palm->palms = {palm_at(0.6f, 0.5f, 0.9f)};
    auto landmarks = std::make_unique<FakeLandmarker>();
    landmarks->fixed = true;  // one still hand, where the palm is
    landmarks->fixed_x = 0.6f * 320.f;
    landmarks->fixed_y = 0.5f * 240.f;
    return std::make_unique<detect::HandTracker>(std::move(palm), std::move(landmarks));
  };
}
EstimatorFactory fake_factory() {
  return [](const ModelConfig&) -> std::unique_ptr<HandEstimator> {
    return std::make_unique<FakeEstimator>(0ms);
  };
}
ResultPtr next_result(Engine& e) {
  auto r = e.wait_result_for(20s);
  REQUIRE(r.has_value());
  REQUIRE(*r);
  return *r;
}
}  // namespace

TEST_CASE("skeleton mode: no network, every frame's result holds MediaPipe's hands") {
  const auto dir = test_temp_dir("pipeline_skeleton");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(write_test_video(video, 6));
  Engine engine(fake_factory(), fake_detector());
  engine.capture().set_pacing(Pacing::kEveryFrame);
  engine.start(classify_source(video), ModelConfig{}, /*load_model=*/false);
  for (int i = 0; i < 6; ++i) {
    ResultPtr r = next_result(engine);
    CHECK(r->frame->index == i);
    CHECK_FALSE(r->has_network);
    REQUIRE(r->detections);
    CHECK(r->detections->hands.size() == 1);
    CHECK(r->crop_source == CropSource::kDetect);  // nothing tracks without the network
  }
  const WorkerStatus ws = engine.worker_status();
  CHECK(ws.detector == "ready");
  CHECK(ws.hands_found == 1);
  CHECK(ws.state == WorkerStatus::State::kNoModel);
  engine.stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("with the network: the first crop comes from the detector, then tracking") {
  const auto dir = test_temp_dir("pipeline_detect");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(write_test_video(video, 5));
  Engine engine(fake_factory(), fake_detector());
  engine.capture().set_pacing(Pacing::kEveryFrame);
  engine.start(classify_source(video), ModelConfig{}, true);
  ResultPtr r = next_result(engine);
  CHECK(r->has_network);
  CHECK(r->crop_source == CropSource::kDetect);
  REQUIRE(r->detections);
  r = next_result(engine);
  CHECK(r->crop_source == CropSource::kTrack);  // the fake's keypoints are confident
  // --crop whole: the whole frame, and the results still carry the hands.
  HandFinderSettings s;
  s.crop.mode = CropMode::kWhole;
  engine.set_hand_settings(s);
  bool saw_whole = false;
  for (int i = 0; i < 3 && !saw_whole; ++i) {
    r = next_result(engine);
    saw_whole = r->crop_source == CropSource::kWhole;
    if (saw_whole) CHECK(r->detections);
  }
  CHECK(saw_whole);
  engine.stop();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a detector that cannot load is a status; the network still runs") {
  const auto dir = test_temp_dir("pipeline_nodetector");
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(write_test_video(video, 3));
  Engine engine(fake_factory(), []() -> std::unique_ptr<detect::HandTracker> {
    throw std::runtime_error("assets/models/palm_detection_full.tflite: missing");
  });
  engine.capture().set_pacing(Pacing::kEveryFrame);
  engine.start(classify_source(video), ModelConfig{}, true);
  ResultPtr r = next_result(engine);
  CHECK(r->has_network);
  CHECK_FALSE(r->detections);
  CHECK(engine.worker_status().detector.find("palm_detection_full.tflite") != std::string::npos);
  engine.stop();
  std::filesystem::remove_all(dir);
}
