#include <doctest/doctest.h>

#include <fstream>

#include <opencv2/imgcodecs.hpp>

#include "core/capture.h"
#include "tests/core/fake_estimator.h"
#include "tests/core/test_video.h"

using namespace intershape::core;
using namespace intershape::testing;

namespace {

// Waits until the capture reaches `state` (bounded: a stall fails the test).
bool wait_for_state(const Capture& c, CaptureStatus::State state) {
  for (int i = 0; i < 4000; ++i) {
    if (c.status().state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

}  // namespace

TEST_CASE("source specs are parsed from what people type") {
  CHECK(classify_source("0").kind == SourceSpec::Kind::kCamera);
  CHECK(classify_source("2").camera == 2);
  CHECK(classify_source("clip.mp4").kind == SourceSpec::Kind::kVideo);
  CHECK(classify_source("rtsp://host/stream").kind == SourceSpec::Kind::kStream);
  CHECK(classify_source("http://host/x.mjpg").is_live());
  const auto dir = test_temp_dir("capture_parse");
  CHECK(classify_source(dir.string()).kind == SourceSpec::Kind::kImages);
  CHECK(classify_source("0").describe() == "camera 0");
  std::filesystem::remove_all(dir);
}

TEST_CASE("an image folder plays in name order, every frame, then ends") {
  const auto dir = test_temp_dir("capture_images");
  for (int i = 0; i < 5; ++i)
    cv::imwrite((dir / ("img_" + std::to_string(i) + ".png")).string(),
                fake_hands_picture(160, 120, i));
  std::ofstream(dir / "notes.txt") << "not an image: ignored";
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.set_pacing(Pacing::kEveryFrame);
  cap.start(classify_source(dir.string()));
  for (int i = 0; i < 5; ++i) {
    auto f = slot.wait_take();
    REQUIRE(f.has_value());
    CHECK((*f)->index == i);
    CHECK((*f)->bgr.cols == 160);
    // The bar's grey level encodes the index (fake_hands_picture).
    const int level = (i * 37) % 200 + 30;
    CHECK(std::abs((*f)->bgr.at<cv::Vec3b>(115, 80)[0] - level) <= 2);
  }
  CHECK(wait_for_state(cap, CaptureStatus::State::kEnded));
  CHECK(cap.status().frame_count == 5);
  slot.close();
  cap.request_stop();
  cap.join();
  std::filesystem::remove_all(dir);
}

TEST_CASE("a camera that cannot be opened is a status in plain words; stop still works") {
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.start(SourceSpec::camera_index(97));
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  const CaptureStatus s = cap.status();
  CHECK(s.message.find("Camera 97 could not be opened") != std::string::npos);
  CHECK(s.source == "camera 97");
  slot.close();
  cap.request_stop();
  cap.join();  // returns although the thread was waiting to retry
}

TEST_CASE("an empty folder and a non-video file are reported, and another source can be opened") {
  const auto dir = test_temp_dir("capture_errors");
  const std::string bogus = (dir / "not_a_video.mp4").string();
  { std::ofstream(bogus) << "this is not a video"; }
  LatestSlot<FramePtr> slot;
  Capture cap({&slot}, &slot);
  cap.start(classify_source(dir.string()));  // holds no images
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  CHECK(cap.status().message.find("holds no images") != std::string::npos);
  cap.open(classify_source(bogus));
  for (int i = 0; i < 4000 && cap.status().source != "video " + bogus; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  REQUIRE(wait_for_state(cap, CaptureStatus::State::kError));
  CHECK(cap.status().message.find("could not be opened") != std::string::npos);
  CHECK(cap.status().message.find(bogus) != std::string::npos);
  // A good video after that plays.
  const std::string video = (dir / "clip.avi").string();
  REQUIRE(write_test_video(video, 3));
  cap.open(classify_source(video));
  auto f = slot.wait_take();
  REQUIRE(f.has_value());
  CHECK((*f)->bgr.cols == 320);
  slot.close();
  cap.request_stop();
  cap.join();
  std::filesystem::remove_all(dir);
}
