// Recording a session and reading it back; re-running the estimator on the
// recorded frames gives the stored results.

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "core/formats/atomic_file.h"
#include "core/session/session_reader.h"
#include "core/session/session_recorder.h"
#include "core/preprocess.h"
#include "tests/exporters/fake_estimator.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
using namespace intershape::core::formats;
using namespace intershape::core::session;
using intershape::test::FakeEstimator;
using intershape::test::mount_private_tmpfs;
using intershape::test::read_file;
using intershape::test::run_in_child;
using intershape::test::split;
using intershape::test::TempDir;

namespace {

// A frame with its result, or a frame that has none.
bool push_with(SessionRecorder& rec, FramePtr frame, FrameResultPtr result) {
  return result ? rec.push(std::move(result)) : rec.push(std::move(frame));
}

cv::Mat moving_picture(int k) {
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar(40, 50, 60));
  cv::circle(img, cv::Point(60 + 3 * k, 100 + (k % 7) * 4), 30, cv::Scalar(180, 140, 200 - k), -1);
  cv::rectangle(img, cv::Rect(220 - 2 * k, 40, 40, 90), cv::Scalar(30, 200, 90 + k), -1);
  cv::putText(img, std::to_string(k), cv::Point(10, 230), cv::FONT_HERSHEY_SIMPLEX, 1.0,
              cv::Scalar(255, 255, 255), 2);
  return img;
}

std::shared_ptr<FrameResult> infer(FakeEstimator& est,
                                       const std::shared_ptr<const Frame>& frame) {
  auto r = std::make_shared<FrameResult>();
  r->frame = frame;
  r->crop = CropRect::whole_frame(frame->bgr.cols, frame->bgr.rows);
  r->output = est.estimate(make_network_input(frame->bgr, r->crop), {});
  r->keypoints_frame = keypoints_in_frame(r->output.xyc, r->crop);
  return r;
}

void check_same_output(const NetworkOutput& a, const NetworkOutput& b) {
  for (int h = 0; h < 2; ++h) {
    CHECK(a.hands[h].verts3d == b.hands[h].verts3d);
    CHECK(a.hands[h].joints3d == b.hands[h].joints3d);
    CHECK(a.hands[h].params.pose == b.hands[h].params.pose);
    CHECK(a.hands[h].params.shape == b.hands[h].params.shape);
    CHECK(a.hands[h].presence == b.hands[h].presence);
  }
  CHECK(a.trans == b.trans);
  CHECK(a.xyc == b.xyc);
  CHECK(a.attention == b.attention);
}

}  // namespace

TEST_CASE("record 60 frames with results, read back, re-run gives the stored results") {
  FakeEstimator est;
  TempDir dir;
  const std::string folder = dir / "session";
  SessionInfo info;
  info.source = "generated";
  info.model = "fake";
  info.device = est.describe();
  info.settings = {{"threads", 2}};
  info.fps = 25;
  std::vector<std::shared_ptr<const Frame>> frames;
  std::vector<std::shared_ptr<FrameResult>> results;
  {
    SessionRecorder rec(folder, info);
    rec.start();
    for (int k = 0; k < 60; ++k) {
      auto f = std::make_shared<Frame>();
      f->bgr = moving_picture(k);
      f->index = 100 + k;
      f->timestamp_s = k / 25.0;
      frames.push_back(f);
      // Every third frame has no result (the network was busy).
      results.push_back(k % 3 == 2 ? nullptr : infer(est, f));
      REQUIRE(push_with(rec, f, results.back()));
    }
    rec.stop();
    const auto st = rec.status();
    CHECK(st.frames_written == 60);
    CHECK(st.results_written == 40);
    CHECK(st.frames_dropped == 0);
    CHECK(st.error == "");
    CHECK(st.codec == "FFV1");
    CHECK_FALSE(st.recording);
    CHECK_FALSE(rec.push(frames[0]));  // stopped
  }
  const auto manifest = nlohmann::json::parse(read_file(folder + "/manifest.json"));
  CHECK(manifest["frame_count"] == 60);
  CHECK(manifest["complete"] == true);
  CHECK(manifest["format_version"] == kSessionFormatVersion);
  CHECK(manifest["video"]["codec"] == "FFV1");
  CHECK(manifest["settings"]["threads"] == 2);
  CHECK(std::filesystem::exists(folder + "/frame_000000.json"));
  CHECK_FALSE(std::filesystem::exists(folder + "/frame_000002.json"));

  REQUIRE(SessionReader::is_session(folder));
  SessionReader reader(folder);
  CHECK(reader.frame_count() == 60);
  CHECK(reader.manifest().source == "generated");
  CHECK(reader.manifest().complete);
  FakeEstimator rerun;
  SessionReader::Item item;
  int k = 0;
  while (reader.next(item)) {
    REQUIRE(k < 60);
    CHECK(item.frame->index == k);
    CHECK(item.source_frame == 100 + k);
    CHECK(item.frame->timestamp_s == frames[k]->timestamp_s);
    // FFV1 is lossless: the replayed picture is the recorded one.
    CHECK(cv::norm(item.frame->bgr, frames[k]->bgr, cv::NORM_INF) == 0);
    REQUIRE(item.result.has_value() == (results[k] != nullptr));
    if (results[k]) {
      check_same_output(item.result->output, results[k]->output);
      CHECK(item.result->keypoints_frame == results[k]->keypoints_frame);
      CHECK(item.result->frame->index == k);
      // Re-running on the replayed frame reproduces the stored result exactly.
      auto again = infer(rerun, item.frame);
      check_same_output(again->output, item.result->output);
    }
    ++k;
  }
  CHECK(k == 60);
  reader.rewind();
  REQUIRE(reader.next(item));
  CHECK(item.frame->index == 0);
  reader.seek(31);
  REQUIRE(reader.next(item));
  CHECK(item.frame->index == 31);
  CHECK(cv::norm(item.frame->bgr, frames[31]->bgr, cv::NORM_INF) == 0);
  CHECK(item.result.has_value() == (results[31] != nullptr));
  reader.seek(59);
  REQUIRE(reader.next(item));
  CHECK(cv::norm(item.frame->bgr, frames[59]->bgr, cv::NORM_INF) == 0);
  CHECK_FALSE(reader.next(item));
}

TEST_CASE("MJPG fallback records a readable, close-to-original video") {
  TempDir dir;
  RecorderOptions opt;
  opt.allow_ffv1 = false;
  SessionRecorder rec(dir / "s", SessionInfo{}, opt);
  rec.start();
  std::vector<cv::Mat> pics;
  for (int k = 0; k < 5; ++k) {
    auto f = std::make_shared<Frame>();
    f->bgr = moving_picture(k);
    f->index = k;
    pics.push_back(f->bgr);
    REQUIRE(rec.push(f));
  }
  rec.stop();
  CHECK(rec.status().codec == "MJPG");
  SessionReader reader(dir / "s");
  CHECK(reader.manifest().codec == "MJPG");
  SessionReader::Item item;
  int k = 0;
  while (reader.next(item)) {
    CHECK(cv::norm(item.frame->bgr, pics[k], cv::NORM_L1) / pics[k].total() / 3 <
          3.0);  // mean abs error
    CHECK_FALSE(item.result.has_value());
    ++k;
  }
  CHECK(k == 5);
}

TEST_CASE("a producer faster than the disk: every frame is written or counted as dropped") {
  TempDir dir;
  RecorderOptions opt;
  opt.queue_capacity = 2;
  opt.block_timeout = std::chrono::milliseconds(0);
  SessionRecorder rec(dir / "s", SessionInfo{}, opt);
  rec.start();
  int accepted = 0;
  auto f = std::make_shared<Frame>();
  f->bgr = moving_picture(1);
  for (int k = 0; k < 100; ++k) accepted += rec.push(f) ? 1 : 0;
  rec.stop();
  const auto st = rec.status();
  CHECK(st.frames_written == accepted);
  CHECK(st.frames_written + st.frames_dropped == 100);
  if (st.frames_dropped > 0) CHECK(st.error.find("dropped") != std::string::npos);
  SessionReader reader(dir / "s");
  CHECK(reader.frame_count() == accepted);
  CHECK(reader.manifest().dropped_frames == st.frames_dropped);
}

TEST_CASE("errors: unusable folder, existing session, missing or corrupt files") {
  TempDir dir;
  write_file_atomic(dir / "file", "x");
  SessionRecorder bad(dir / "file/session", SessionInfo{});
  CHECK_THROWS_WITH_AS(bad.start(), doctest::Contains("file/session"), ExportError);
  {
    SessionRecorder rec(dir / "s", SessionInfo{});
    rec.start();
    rec.stop();
    CHECK(rec.status().frames_written == 0);
  }
  SessionRecorder again(dir / "s", SessionInfo{});
  CHECK_THROWS_WITH_AS(again.start(), doctest::Contains("already holds a recorded session"),
                       ExportError);
  SessionReader empty(dir / "s");  // a session with no frames reads as empty
  CHECK(empty.frame_count() == 0);
  SessionReader::Item item;
  CHECK_FALSE(empty.next(item));

  CHECK_THROWS_WITH_AS(SessionReader(dir / "nothing"), doctest::Contains("nothing/manifest.json"),
                       ExportError);
  write_file_atomic(dir / "s/manifest.json", "{\"format_version\": 1}");
  CHECK_THROWS_WITH_AS(SessionReader(dir / "s"),
                       doctest::Contains("manifest.json: not a session manifest"), ExportError);
}

TEST_CASE("a corrupt stored result names its file") {
  FakeEstimator est;
  TempDir dir;
  {
    SessionRecorder rec(dir / "s", SessionInfo{});
    rec.start();
    auto f = std::make_shared<Frame>();
    f->bgr = moving_picture(3);
    REQUIRE(push_with(rec, f, infer(est, f)));
    rec.stop();
  }
  write_file_atomic(dir / "s/frame_000000.json", "{\"frame\": 0");
  SessionReader reader(dir / "s");
  SessionReader::Item item;
  CHECK_THROWS_WITH_AS(reader.next(item), doctest::Contains("frame_000000.json: not valid JSON"),
                       ExportError);
}

TEST_CASE("disk full while recording: the error is reported, what was written stays readable") {
  // Child process with its own mount namespace and a 1 MiB tmpfs (needs
  // root/CAP_SYS_ADMIN; skipped with a message otherwise).
  TempDir dir;
  const std::string mnt = dir / "small";
  std::filesystem::create_directories(mnt);
  bool exited = false;
  const std::string report = run_in_child(
      [&]() -> std::string {
        if (!mount_private_tmpfs(mnt, "1m")) return "skip";
        FakeEstimator est;
        RecorderOptions opt;
        opt.manifest_every = 5;
        SessionRecorder rec(mnt + "/s", SessionInfo{}, opt);
        rec.start();
        int pushed = 0;
        for (int k = 0; k < 200; ++k) {
          auto f = std::make_shared<Frame>();
          f->bgr = moving_picture(k);
          f->index = k;
          if (!push_with(rec, f, infer(est, f))) break;
          ++pushed;
        }
        rec.stop();
        const RecorderStatus st = rec.status();
        int64_t readable = 0, with_result = 0;
        std::string read_error;
        try {
          SessionReader reader(mnt + "/s");
          SessionReader::Item item;
          while (reader.next(item)) {
            ++readable;
            if (item.result) ++with_result;
          }
        } catch (const std::exception& e) {
          read_error = e.what();
        }
        return std::to_string(st.frames_written) + "|" + std::to_string(readable) + "|" +
               std::to_string(with_result) + "|" + std::to_string(pushed) + "|" + st.error + "|" +
               read_error;
      },
      &exited);
  REQUIRE(exited);
  if (report == "skip") {
    MESSAGE("skipped: cannot mount a small tmpfs here (needs root)");
    return;
  }
  MESSAGE("written|readable|with result|pushed|error|read error = " << report);
  const std::vector<std::string> parts = split(report, '|');
  REQUIRE(parts.size() == 6);
  const int written = std::stoi(parts[0]), readable = std::stoi(parts[1]),
            with_result = std::stoi(parts[2]);
  CHECK(written > 0);
  CHECK(written < 200);
  CHECK(parts[4].find("No space left on device") != std::string::npos);
  CHECK(parts[5] == "");
  // Everything reported as written can be read back with its result.
  CHECK(readable == written);
  CHECK(with_result == written);
}
