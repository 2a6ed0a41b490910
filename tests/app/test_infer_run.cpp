// The engine of `intershape infer` with a fake estimator: inputs of every
// kind, warnings and counts for bad files, re-running a recorded session.

#include <doctest/doctest.h>

#include <filesystem>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/formats/atomic_file.h"
#include "app/infer_run.h"
#include "core/session/session_recorder.h"
#include "core/preprocess.h"
#include "tests/exporters/fake_estimator.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
using namespace intershape::core::formats;
using namespace intershape::core::session;
using namespace intershape::app;
using intershape::test::FakeEstimator;
using intershape::test::read_file;
using intershape::test::TempDir;
namespace fs = std::filesystem;

namespace {

cv::Mat picture(int k, int w = 300, int h = 200) {
  cv::Mat img(h, w, CV_8UC3, cv::Scalar(20, 40 + k, 60));
  cv::circle(img, cv::Point(50 + 10 * k, 80), 30, cv::Scalar(200, 150, 100 + 5 * k), -1);
  return img;
}

// What the estimator gives for a picture, prepared as infer does.
NetworkOutput expected_output(const cv::Mat& bgr) {
  FakeEstimator est;
  EstimateOptions o;
  o.stage_details = true;
  return est.estimate(make_network_input(bgr, CropRect::whole_frame(bgr.cols, bgr.rows)), o);
}

std::FILE* null_log() { return std::fopen("/dev/null", "w"); }

}  // namespace

TEST_CASE("single image: the demo's files, named after the image") {
  TempDir dir;
  const cv::Mat img = picture(1, 400, 300);
  REQUIRE(cv::imwrite(dir / "hands.png", img));
  FakeEstimator est;
  InferOptions opt;
  opt.input = dir / "hands.png";
  opt.output = dir / "out";
  const InferSummary s = run_infer(est, opt, stderr);
  CHECK(s.ok());
  CHECK(s.processed == 1);
  for (const char* f : {"hands_right.obj", "hands_left.obj", "hands_interacting.obj", "hands.json"})
    CHECK(fs::exists(dir / ("out/" + std::string(f))));
  CHECK_FALSE(fs::exists(dir / "out/sequence.glb"));  // not asked for
  const FrameResult rec = frame_from_json(read_file(dir / "out/hands.json"), "hands.json");
  const NetworkOutput want = expected_output(cv::imread(dir / "hands.png"));
  CHECK(rec.output.hands[0].verts3d == want.hands[0].verts3d);
  CHECK(rec.output.stages.size() == 4);
  CHECK(rec.crop.side == 400.f);
  CHECK(rec.frame->width == 400);
  CHECK(rec.frame->source == "hands.png");
  CHECK(rec.keypoints_frame[3][0] == doctest::Approx(want.xyc[3][0] * 4 * 400 / 256.f));
}

TEST_CASE(
    "folder: sorted by name; non-images and unreadable images are warned about, the rest "
    "processed") {
  TempDir dir;
  const std::string in = dir / "in";
  fs::create_directories(in);
  REQUIRE(cv::imwrite(in + "/b.png", picture(2)));
  REQUIRE(cv::imwrite(in + "/a.jpg", picture(1)));
  REQUIRE(cv::imwrite(in + "/c.bmp", picture(3)));
  write_file_atomic(in + "/notes.txt", "not a picture");
  write_file_atomic(in + "/broken.png", "\x89PNG garbage");
  fs::create_directories(in + "/sub");
  FakeEstimator est;
  InferOptions opt;
  opt.input = in;
  opt.output = dir / "out";
  opt.formats = ExportFormats::parse("json,npz,glb");
  std::FILE* log = std::tmpfile();
  const InferSummary s = run_infer(est, opt, log);
  std::rewind(log);
  std::string messages(4096, '\0');
  messages.resize(std::fread(messages.data(), 1, messages.size(), log));
  std::fclose(log);
  CHECK(s.processed == 3);
  CHECK(s.failed == 1);
  CHECK(s.skipped == 1);
  CHECK_FALSE(s.ok());
  CHECK(messages.find("broken.png") != std::string::npos);
  CHECK(messages.find("notes.txt: not an image file") != std::string::npos);
  CHECK(messages.find("\r") == std::string::npos);  // no progress bar unless asked
  // Sorted: a, b, c -> frame 0, 1, 2.
  const auto j = intershape::test::load_npz_with_numpy(dir / "out/sequence.npz");
  CHECK(j["frame_index"]["data"] == nlohmann::json::array({0, 1, 3}));
  const NetworkOutput want_b = expected_output(cv::imread(in + "/b.png"));
  CHECK(j["right_verts"]["data"][778 * 3 + 7].get<float>() == want_b.hands[0].verts3d[7]);
  CHECK(fs::exists(dir / "out/sequence.glb"));
  CHECK(fs::exists(dir / "out/a.json"));
  CHECK_FALSE(fs::exists(dir / "out/broken.json"));
  CHECK(frame_from_json(read_file(dir / "out/b.json"), "b.json").frame->source == "b.png");
}

TEST_CASE("an empty folder or a file that is no video: a source error naming it") {
  TempDir dir;
  fs::create_directories(dir / "empty");
  FakeEstimator est;
  InferOptions opt;
  opt.input = dir / "empty";
  opt.output = dir / "out";
  std::FILE* log = null_log();
  CHECK_THROWS_WITH_AS(run_infer(est, opt, log), doctest::Contains("holds no images"),
                       intershape::core::SourceError);
  write_file_atomic(dir / "fake.mp4", "not a video");
  opt.input = dir / "fake.mp4";
  CHECK_THROWS_WITH_AS(run_infer(est, opt, log), doctest::Contains("fake.mp4"),
                       intershape::core::SourceError);
  std::fclose(log);
  CHECK(est.calls == 0);
}

TEST_CASE("usage errors") {
  TempDir dir;
  FakeEstimator est;
  InferOptions opt;
  opt.output = dir / "out";
  opt.input = dir / "missing.png";
  CHECK_THROWS_WITH_AS(run_infer(est, opt, nullptr), doctest::Contains("does not exist"),
                       UsageError);
  opt.input = dir.path();
  opt.rerun = true;
  CHECK_THROWS_WITH_AS(run_infer(est, opt, nullptr),
                       doctest::Contains("--rerun needs a recorded session"), UsageError);
}

TEST_CASE("an unwritable output stops the run with an error naming the file") {
  TempDir dir;
  REQUIRE(cv::imwrite(dir / "x.png", picture(0)));
  write_file_atomic(dir / "blocker", "");
  FakeEstimator est;
  InferOptions opt;
  opt.input = dir / "x.png";
  opt.output = dir / "blocker/out";
  CHECK_THROWS_WITH_AS(run_infer(est, opt, nullptr), doctest::Contains("blocker/out"), ExportError);
}

TEST_CASE("--rerun on a recorded session reproduces the stored results") {
  TempDir dir;
  FakeEstimator live;
  {
    SessionRecorder rec(dir / "session", SessionInfo{"camera 0", "fake", "fake", {}, 30});
    rec.start();
    for (int k = 0; k < 12; ++k) {
      auto f = std::make_shared<Frame>();
      f->bgr = picture(k, 320, 240);
      f->index = k;
      f->timestamp_s = 0.5 + k / 30.0;
      auto r = std::make_shared<FrameResult>();
      r->frame = f;
      r->crop = CropRect::whole_frame(320, 240);
      r->output = live.estimate(make_network_input(f->bgr, r->crop), {});
      r->keypoints_frame = keypoints_in_frame(r->output.xyc, r->crop);
      REQUIRE(rec.push(r));
    }
    rec.stop();
  }
  FakeEstimator est;
  InferOptions opt;
  opt.input = dir / "session";
  opt.output = dir / "out";
  opt.rerun = true;
  opt.formats = ExportFormats::parse("json");
  std::FILE* log = null_log();
  const auto s = run_infer(est, opt, log);
  std::fclose(log);
  CHECK(s.ok());
  CHECK(s.processed == 12);
  for (int k = 0; k < 12; ++k) {
    char stored[64], rerun[64];
    std::snprintf(stored, sizeof stored, "session/frame_%06d.json", k);
    std::snprintf(rerun, sizeof rerun, "out/session_%06d.json", k);
    const FrameResult a = frame_from_json(read_file(dir / stored), stored);
    const FrameResult b = frame_from_json(read_file(dir / rerun), rerun);
    CHECK(a.frame->index == b.frame->index);
    CHECK(a.frame->timestamp_s == b.frame->timestamp_s);
    CHECK(a.frame->source == b.frame->source);
    for (int h = 0; h < 2; ++h) {
      CHECK(a.output.hands[h].verts3d == b.output.hands[h].verts3d);
      CHECK(a.output.hands[h].params.pose == b.output.hands[h].params.pose);
    }
    CHECK(a.output.trans == b.output.trans);
    CHECK(a.keypoints_frame == b.keypoints_frame);
  }
  // Without --rerun a session is a usage error, not a folder of images.
  opt.rerun = false;
  CHECK_THROWS_WITH_AS(run_infer(est, opt, nullptr), doctest::Contains("add --rerun"), UsageError);
}

TEST_CASE("progress bar: frames done/total, rate and time left, when asked for") {
  TempDir dir;
  fs::create_directories(dir / "in");
  for (int k = 0; k < 3; ++k)
    REQUIRE(cv::imwrite(dir / ("in/" + std::to_string(k) + ".png"), picture(k)));
  FakeEstimator est;
  InferOptions opt;
  opt.input = dir / "in";
  opt.output = dir / "out";
  opt.progress = true;
  std::FILE* log = std::tmpfile();
  CHECK(run_infer(est, opt, log).ok());
  std::rewind(log);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), log));
  std::fclose(log);
  CHECK(text.find("\r[") != std::string::npos);
  CHECK(text.find("] 0/3 frames") != std::string::npos);
  CHECK(text.find("] 3/3 frames") != std::string::npos);
  CHECK(text.find("/s") != std::string::npos);
  CHECK(text.find("left") != std::string::npos);
  CHECK(text.back() == '\n');
}

TEST_CASE("cancelling stops after the current picture and still writes the sequence files") {
  TempDir dir;
  fs::create_directories(dir / "in");
  for (int k = 0; k < 5; ++k)
    REQUIRE(cv::imwrite(dir / ("in/" + std::to_string(k) + ".png"), picture(k)));
  FakeEstimator est;
  std::atomic<bool> cancel{false};
  InferOptions opt;
  opt.input = dir / "in";
  opt.output = dir / "out";
  opt.formats = ExportFormats::parse("json,npz");
  opt.cancel = &cancel;
  int seen = 0;
  opt.on_result = [&](const FrameResult&) {
    if (++seen == 2) cancel = true;  // as a SIGINT handler would
  };
  std::FILE* log = std::tmpfile();
  const InferSummary s = run_infer(est, opt, log);
  std::rewind(log);
  std::string text(4096, '\0');
  text.resize(std::fread(text.data(), 1, text.size(), log));
  std::fclose(log);
  CHECK(s.processed == 2);
  CHECK(s.cancelled);
  CHECK_FALSE(s.ok());
  CHECK(text.find("interrupted after 2 picture(s)") != std::string::npos);
  const auto j = intershape::test::load_npz_with_numpy(dir / "out/sequence.npz");
  CHECK(j["frame_index"]["data"] == nlohmann::json::array({0, 1}));
  CHECK_FALSE(fs::exists(dir / "out/2.json"));
}
