#include "app/infer_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>

#include "core/formats/atomic_file.h"
#include "core/session/session_source.h"

namespace intershape::app {
namespace fs = std::filesystem;
using core::Clock;
namespace {

// "[=========>          ] 12/60 frames  3.1/s  0:15 left", redrawn in place.
class Progress {
 public:
  Progress(std::FILE* log, bool on, int64_t total) : log_(log), on_(on && log), total_(total) {}
  ~Progress() { finish(); }
  void update(int64_t done) {
    if (!on_) return;
    const double secs = std::chrono::duration<double>(Clock::now() - start_).count();
    const double rate = secs > 0 ? done / secs : 0;
    std::string bar;
    constexpr int kWidth = 30;
    const int filled =
        total_ > 0 ? static_cast<int>(kWidth * std::min<int64_t>(done, total_) / total_) : 0;
    bar.assign(static_cast<size_t>(filled), '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    char left[32] = "?";
    if (rate > 0 && total_ > 0) {
      const long s = std::lround(std::max<double>(0, total_ - done) / rate);
      std::snprintf(left, sizeof left, "%ld:%02ld", s / 60, s % 60);
    }
    std::fprintf(log_, "\r[%s] %lld/%lld frames  %.1f/s  %s left ", bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total_), rate, left);
    std::fflush(log_);
    drawn_ = true;
  }
  // Warnings go on their own line, not through the bar.
  void warn(const std::string& message) {
    if (!log_) return;
    if (drawn_) std::fputs("\r\033[K", log_);
    std::fprintf(log_, "intershape: warning: %s\n", message.c_str());
    drawn_ = false;
  }
  void finish() {
    if (drawn_) std::fputc('\n', log_);
    drawn_ = false;
  }

 private:
  std::FILE* log_;
  bool on_;
  int64_t total_;
  bool drawn_ = false;
  Clock::time_point start_ = Clock::now();
};


// Lends a caller's estimator to the engine's worker for the length of a run.
class BorrowedEstimator final : public core::HandEstimator {
 public:
  explicit BorrowedEstimator(core::HandEstimator& e) : e_(e) {}
  core::NetworkOutput estimate(const cv::Mat& input, const core::EstimateOptions& o) override {
    return e_.estimate(input, o);
  }
  const std::array<std::vector<int32_t>, 2>& faces() const override { return e_.faces(); }
  std::shared_ptr<const mano::ManoPair> hand_models() const override { return e_.hand_models(); }
  std::string describe() const override { return e_.describe(); }

 private:
  core::HandEstimator& e_;
};

}  // namespace

void check_no_unfinished_sequence(const std::string& output) {
  std::error_code ec;
  if (fs::exists(output + "/" + core::exporters::kSpoolFileName, ec))
    throw UsageError(output + " holds the sequence of an interrupted run (" +
                     core::exporters::kSpoolFileName +
                     "): write its files with `intershape infer --resume --output " + output +
                     "`, or delete it");
}

core::exporters::SpoolOutput finish_unfinished_sequence(const std::string& output) {
  std::error_code ec;
  if (!fs::exists(output + "/" + core::exporters::kSpoolFileName, ec))
    throw UsageError(output + " holds no interrupted run to resume (no " +
                     std::string(core::exporters::kSpoolFileName) + ")");
  return core::exporters::finish_spool(output);
}

core::SourceSpec infer_source(const std::string& path, bool rerun) {
  if (path.empty()) throw UsageError("no input given");
  std::error_code ec;
  if (!fs::exists(path, ec)) throw UsageError("input " + path + " does not exist");
  // Opening a FIFO blocks until a writer comes, and a socket cannot be read
  // as a file: refuse both at once (was: infer hung in open()).
  const fs::file_type type = fs::status(path, ec).type();
  if (type == fs::file_type::fifo || type == fs::file_type::socket)
    throw UsageError("input " + path + " is a " +
                     (type == fs::file_type::fifo ? "FIFO" : "socket") +
                     ", not a picture, video, folder or session");
  core::SourceSpec spec;
  try {
    spec = core::classify_source(path);
  } catch (const core::SourceError& e) {
    throw UsageError(e.what());
  }
  // A file name that looks like a camera number or a URL is still a file here.
  if (spec.kind == core::SourceSpec::Kind::kCamera || spec.kind == core::SourceSpec::Kind::kStream) {
    spec = {};
    spec.kind = core::is_image_file_name(path) ? core::SourceSpec::Kind::kImage
                                               : core::SourceSpec::Kind::kVideo;
    spec.path = path;
  }
  if (spec.kind == core::SourceSpec::Kind::kSession) {
    if (!rerun)
      throw UsageError(path + " is a recorded session: add --rerun to run the network on its frames");
    spec = core::session::session_spec(path);
    spec.stored.reset();  // rerun: the network runs on every frame
    return spec;
  }
  if (rerun) {
    if (spec.kind == core::SourceSpec::Kind::kImages)
      throw UsageError("--rerun needs a recorded session folder (with manifest.json); " + path +
                       " is not one");
    throw UsageError("--rerun needs a recorded session folder; " + path + " is a file");
  }
  return spec;
}

InferSummary run_infer(core::HandEstimator& estimator, const InferOptions& options,
                       std::FILE* log) {
  auto factory = [&estimator](const core::ModelConfig&) -> std::unique_ptr<core::HandEstimator> {
    return std::make_unique<BorrowedEstimator>(estimator);
  };
  return run_infer(factory, core::ModelConfig{}, options, log);
}

InferSummary run_infer(const core::EstimatorFactory& factory, const core::ModelConfig& model,
                       const InferOptions& options, std::FILE* log) {
  core::SourceSpec spec = infer_source(options.input, options.rerun);
  spec.image_limits = options.image_limits;
  if (options.output.empty()) throw UsageError("no output folder given");
  check_no_unfinished_sequence(options.output);
  // An output folder that cannot be made fails now, before the model loads.
  core::formats::ensure_directory(options.output);

  const bool needs_hands = options.skeleton || options.crop == core::CropMode::kDetect;
  if (needs_hands && !options.detector)
    throw UsageError(options.skeleton ? "skeleton mode needs MediaPipe's hand models"
                                      : "--crop detect needs MediaPipe's hand models");
  core::Engine engine(factory, options.detector);
  core::CropTrackerSettings crop;
  // --crop whole: the whole frame, as the reference demo fits it.
  crop.follow = options.crop != core::CropMode::kWhole;
  engine.set_crop_settings(crop);
  core::HandFinderSettings hands;
  hands.crop.mode = options.crop;
  hands.still_images = spec.kind == core::SourceSpec::Kind::kImage ||
                       spec.kind == core::SourceSpec::Kind::kImages;
  engine.set_hand_settings(hands);
  engine.set_estimate_options(core::exporters::estimate_options_for(options.formats));
  engine.capture().set_pacing(core::Pacing::kEveryFrame);
  engine.start(spec, model, /*load_model=*/!options.skeleton);

  // The models load on the worker thread; the network's faces are needed by
  // the exporters, and MediaPipe's models when the crop or skeletons need them.
  bool warned = false;
  for (;;) {
    const core::WorkerStatus ws = engine.worker_status();
    const bool detector_done = !options.detector || !ws.detector.empty();
    if (detector_done && !ws.detector.empty() && ws.detector != "ready") {
      if (needs_hands) {
        engine.stop();
        throw core::ModelError("MediaPipe's hand models: " + ws.detector);
      }
      if (log && !warned)
        std::fprintf(log, "intershape: warning: no hand detections: %s\n", ws.detector.c_str());
      warned = true;
    }
    if (detector_done && (options.skeleton || ws.state == core::WorkerStatus::State::kReady)) break;
    if (ws.state == core::WorkerStatus::State::kError) {
      engine.stop();
      throw core::ModelError(ws.message);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const auto faces = engine.faces();  // null in skeleton mode (no network)
  core::exporters::SequenceExporter exporter(
      options.output, options.formats, faces ? *faces : std::array<std::vector<int32_t>, 2>{},
      engine.hand_models(), options.rig);

  InferSummary summary;
  Progress progress(log, options.progress && spec.kind != core::SourceSpec::Kind::kImage, 0);
  bool progress_started = false;
  uint64_t failures_seen = 0;
  auto report = [&] {
    // Per-frame outcomes from the source (unreadable pictures, non-images) and
    // from the worker (a failed pass), each named once.
    for (const std::string& problem : engine.capture().take_problems()) progress.warn(problem);
    const core::CaptureStatus cs = engine.capture_status();
    summary.skipped = static_cast<int>(cs.items_skipped);
    const core::WorkerStatus ws = engine.worker_status();
    if (ws.failures > failures_seen) {
      progress.warn(ws.last_failure);
      failures_seen = ws.failures;
    }
    summary.failed = static_cast<int>(cs.items_failed + ws.failures);
    if (!progress_started && cs.state != core::CaptureStatus::State::kOpening &&
        cs.state != core::CaptureStatus::State::kIdle) {
      progress = Progress(log, options.progress && spec.kind != core::SourceSpec::Kind::kImage,
                          std::max<int64_t>(0, cs.frame_count));
      progress.update(0);
      progress_started = true;
    }
    return cs;
  };

  try {
    for (;;) {
      if (options.cancel && options.cancel->load()) {
        summary.cancelled = true;
        break;
      }
      std::optional<core::ResultPtr> r = engine.wait_result_for(std::chrono::milliseconds(20));
      const core::CaptureStatus cs = report();
      if (r && *r) {
        const std::vector<std::string> paths = exporter.add(*r);
        summary.written.insert(summary.written.end(), paths.begin(), paths.end());
        ++summary.processed;
        if (options.on_result) options.on_result(**r);
        progress.update(cs.position);
        continue;
      }
      if (cs.state == core::CaptureStatus::State::kError) {
        // The source as a whole cannot be read (not one picture of it).
        engine.stop();
        throw core::SourceError(cs.message);
      }
      if (engine.finished()) break;
    }
  } catch (...) {
    engine.stop();
    throw;
  }
  engine.stop();
  report();
  progress.finish();

  const core::CaptureStatus cs = engine.capture_status();
  if (!summary.cancelled && spec.kind == core::SourceSpec::Kind::kSession && cs.frame_count > 0 &&
      static_cast<int64_t>(cs.frames_read) < cs.frame_count) {
    progress.warn("the session lists " + std::to_string(cs.frame_count) + " frames, only " +
                  std::to_string(cs.frames_read) + " could be read");
    ++summary.failed;
  }
  if (!summary.cancelled && spec.kind == core::SourceSpec::Kind::kVideo) {
    const int64_t read = static_cast<int64_t>(cs.frames_read);
    if (read == 0) {
      progress.warn("no frames could be read from " + options.input);
      ++summary.failed;
    } else if (cs.frame_count > 0 && read < cs.frame_count) {
      progress.warn("read " + std::to_string(read) + " of the " + std::to_string(cs.frame_count) +
                    " frames of " + options.input + "; the rest could not be decoded");
      ++summary.failed;
    }
  }
  if (summary.cancelled)
    progress.warn("interrupted after " + std::to_string(summary.processed) + " picture(s)");
  const std::vector<std::string> paths = exporter.finish();
  summary.written.insert(summary.written.end(), paths.begin(), paths.end());
  for (const std::string& note : exporter.notes()) progress.warn(note);
  return summary;
}

}  // namespace intershape::app
