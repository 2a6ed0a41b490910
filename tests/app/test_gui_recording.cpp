// The GUI's recorder: what the window shows is recorded; while a model runs,
// each result with its own frame; without one, every frame shown.

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "app/gui_recording.h"
#include "tests/core/fake_estimator.h"
#include "tests/core/test_video.h"

using namespace intershape;

namespace {

core::FramePtr make_frame(int index) {
  auto f = std::make_shared<core::Frame>();
  f->bgr = testing::fake_hands_picture(160, 120, index);
  f->index = index;
  f->timestamp_s = index / 30.0;
  return f;
}

}  // namespace

namespace {

core::ResultPtr make_result(const core::FramePtr& frame) {
  auto r = std::make_shared<core::FrameResult>();
  r->frame = frame;
  r->crop = core::CropRect::whole_frame(frame->bgr.cols, frame->bgr.rows);
  testing::FakeEstimator fake;
  r->output = fake.estimate(cv::Mat(256, 256, CV_8UC3, cv::Scalar(0, 0, 0)), {});
  return r;
}

int count_lines(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  int n = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n;
}

}  // namespace

TEST_CASE("while a model runs, each result is recorded with its own frame") {
  const auto dir = testing::test_temp_dir("gui_recording");
  const std::string folder = (dir / "session").string();
  core::Engine engine([](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
    return std::make_unique<testing::FakeEstimator>();
  });
  app::GuiRecorder rec;
  REQUIRE(rec.start(folder, engine, "{\"test\": true}") == "");
  CHECK(rec.recording());
  std::vector<core::FramePtr> frames;
  for (int i = 0; i < 5; ++i) frames.push_back(make_frame(i));
  // Shown: 0, 1, 2; the network answers for 2 (it skipped 0 and 1); shown: 3,
  // 4; the answer for 4 comes; then stop. What the window showed under each
  // result is that result's frame: 2 and 4 are recorded, with their results.
  for (int i = 0; i < 3; ++i) rec.on_frame(frames[i], true);
  rec.on_result(make_result(frames[2]));
  rec.on_frame(frames[3], true);
  rec.on_frame(frames[4], true);
  rec.on_result(make_result(frames[4]));
  rec.stop();
  CHECK_FALSE(rec.recording());
  CHECK(std::filesystem::exists(folder + "/manifest.json"));
  CHECK(std::filesystem::exists(folder + "/frame_000000.json"));
  CHECK(std::filesystem::exists(folder + "/frame_000001.json"));
  CHECK_FALSE(std::filesystem::exists(folder + "/frame_000002.json"));
  std::ifstream csv(folder + "/frames.csv");
  std::string header, row0, row1, extra;
  std::getline(csv, header);
  std::getline(csv, row0);
  std::getline(csv, row1);
  CHECK(row0.rfind("0,2,", 0) == 0);  // position 0 is source frame 2, with a result
  CHECK(row0.back() == '1');
  CHECK(row1.rfind("1,4,", 0) == 0);
  CHECK_FALSE(std::getline(csv, extra));
  // A second start into the same folder is refused in plain words.
  const std::string again = rec.start(folder, engine, "{}");
  CHECK(again.find(folder) != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("without a running model every frame is written at once") {
  const auto dir = testing::test_temp_dir("gui_recording_nomodel");
  const std::string folder = (dir / "session").string();
  core::Engine engine(
      [](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> { return nullptr; });
  app::GuiRecorder rec;
  REQUIRE(rec.start(folder, engine, "not json") == "");  // bad settings: kept as {}
  for (int i = 0; i < 3; ++i) rec.on_frame(make_frame(i), false);
  rec.stop();
  CHECK(std::filesystem::exists(folder + "/video.avi"));
  CHECK_FALSE(std::filesystem::exists(folder + "/frame_000000.json"));
  std::filesystem::remove_all(dir);
}

