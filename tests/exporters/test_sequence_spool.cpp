// Sequence exports (sequence.npz, sequence_frames.glb) are spooled to disk frame by
// frame (core/exporters/sequence_spool.h): memory stays flat over a long run,
// and a run killed with SIGKILL leaves a spool that `infer --resume` turns into
// valid files of every frame done (issue 14, item 9).
#include <doctest/doctest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "app/infer_run.h"
#include "core/exporters/sequence_exporter.h"
#include "core/exporters/sequence_spool.h"
#include "core/exporters/tinygltf_config.h"
#include "core/preprocess.h"
#include "tests/exporters/fake_estimator.h"
#include "tests/test_util.h"

using namespace intershape::core;
using namespace intershape::core::exporters;
using namespace intershape::app;
using intershape::test::FakeEstimator;
using intershape::test::TempDir;
namespace fs = std::filesystem;

namespace {

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;  // ASan's quarantine holds freed memory: RSS is not the heap
#else
constexpr bool kSanitized = false;
#endif

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1 << 20);
}

cv::Mat picture(int k) {
  cv::Mat img(kInputSize, kInputSize, CV_8UC3, cv::Scalar(30, 60 + k % 50, 90));
  cv::circle(img, cv::Point(60 + k % 100, 120), 40, cv::Scalar(200, 140, 100), -1);
  return img;
}

FrameResultPtr result_for(FakeEstimator& est, int k) {
  const cv::Mat input = picture(k);
  auto r = std::make_shared<FrameResult>();
  r->frame = make_frame(cv::Mat(), k, k / 30.0, "soak", "f" + std::to_string(k));
  r->crop = CropRect::whole_frame(kInputSize, kInputSize);
  r->output = est.estimate(input, {});
  return r;
}

// Least-squares slope of y over x.
double slope(const std::vector<double>& x, const std::vector<double>& y) {
  double mx = 0, my = 0;
  for (size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= x.size(), my /= y.size();
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) num += (x[i] - mx) * (y[i] - my), den += (x[i] - mx) * (x[i] - mx);
  return den > 0 ? num / den : 0;
}

}  // namespace

TEST_CASE("10,000 frames with glb-frames (and each frame's JSON built): flat memory") {
  // Was: npz and glb kept every frame in growing vectors (~46 KB a frame,
  // 460 MB at 10,000 frames), which also fragmented the heap next to the
  // network's per-frame tensors.
  const int frames = kSanitized ? 600 : 10000;
  TempDir dir("soak");
  FakeEstimator est;
  // Each frame's JSON is built as the json export builds it, but not written:
  // 10,000 fsync'ed files would make this test minutes long (scripts/soak.sh
  // writes them).
  // The NPZ is not part of this: it stays in memory since it holds the
  // detections too (sequence_exporter.h), ~30 KB a frame.
  SequenceExporter exporter(dir / "out", ExportFormats::parse("glb-frames"), est.faces());
  std::vector<double> at, rss;
  size_t json_bytes = 0;
  for (int k = 0; k < frames; ++k) {
    const FrameResultPtr r = result_for(est, k);
    json_bytes += frame_to_json(*r).size();
    exporter.add(r);
    if (k >= frames / 5 && k % 250 == 0) {
      at.push_back(k);
      rss.push_back(rss_mb());
    }
  }
  const double per_frame_kb = slope(at, rss) * 1024;
  MESSAGE("RSS " << rss.front() << " MB at frame " << at.front() << ", " << rss.back()
                 << " MB at frame " << at.back() << "; slope " << per_frame_kb << " KB/frame");
  if (!kSanitized) {
    CHECK(per_frame_kb < 1.0);               // the in-memory sequences grew by ~46 KB/frame
    CHECK(rss.back() - rss.front() < 16.0);  // MB over the last 8,000 frames
  }
  CHECK(fs::file_size(dir / "out/.sequence.spool") > static_cast<uintmax_t>(frames) * 20000);
  int64_t seen = 0;
  const SpoolContents c = read_spool(dir / "out/.sequence.spool", [&](const FrameResult& r) {
    CHECK(r.frame->index == seen);
    ++seen;
  });
  CHECK(c.frames == frames);
  CHECK_FALSE(c.torn_tail);
  CHECK(json_bytes > static_cast<size_t>(frames) * 10000);
}

TEST_CASE("SIGKILL mid-run: --resume writes a valid glb of every frame done") {
  TempDir dir("kill");
  const std::string in = dir / "in";
  fs::create_directories(in);
  for (int k = 0; k < 12; ++k) {
    char name[32];
    std::snprintf(name, sizeof name, "/img_%02d.png", k);
    REQUIRE(cv::imwrite(in + name, picture(k)));
  }
  const std::string out = dir / "out";
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    FakeEstimator est;
    InferOptions opt;
    opt.input = in;
    opt.output = out;
    opt.formats = ExportFormats::parse("json,npz,glb-frames");
    int done = 0;
    opt.on_result = [&](const FrameResult&) {
      if (++done == 7) ::kill(::getpid(), SIGKILL);  // no destructor, no finish()
    };
    std::FILE* log = std::fopen("/dev/null", "w");
    run_infer(est, opt, log);
    ::_exit(0);  // not reached
  }
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  REQUIRE(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  CHECK_FALSE(fs::exists(out + "/sequence.npz"));
  REQUIRE(fs::exists(out + "/.sequence.spool"));
  // A new run on that folder is refused: it would replace the kept frames.
  FakeEstimator est;
  InferOptions again;
  again.input = in;
  again.output = out;
  CHECK_THROWS_WITH_AS(run_infer(est, again, nullptr), doctest::Contains("--resume --output"),
                       UsageError);
  // A record torn by the kill is ignored, and the frames before it are kept.
  {
    std::ofstream spool(out + "/.sequence.spool", std::ios::app | std::ios::binary);
    spool << "half a record";
  }
  const std::vector<std::string> paths = finish_unfinished_sequence(out);
  CHECK(paths.size() == 1);  // sequence_frames.glb (the NPZ is kept in memory, not spooled)
  CHECK_FALSE(fs::exists(out + "/.sequence.spool"));
  tinygltf::Model model;
  tinygltf::TinyGLTF loader;
  std::string err, warn;
  REQUIRE(loader.LoadBinaryFromFile(&model, &err, &warn, out + "/sequence_frames.glb"));
  CHECK(model.meshes.size() == 7);
  CHECK(model.animations.size() == 1);
  // Each frame's JSON was written whole (atomic files), none half.
  for (int k = 0; k < 7; ++k) CHECK(fs::exists(out + "/img_0" + std::to_string(k) + ".json"));
  CHECK_THROWS_WITH_AS(finish_unfinished_sequence(out), doctest::Contains("no interrupted run"),
                       UsageError);
}
