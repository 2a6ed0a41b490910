#include "app/batch_infer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <functional>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <opencv2/videoio/registry.hpp>

#include "core/formats/atomic_file.h"
#include "core/image_limits.h"
#include "core/session/session_reader.h"
#include "core/preprocess.h"

namespace intershape::core::exporters {
namespace fs = std::filesystem;
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string numbered(const std::string& stem, int64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%06lld", static_cast<long long>(k));
  return stem + buf;
}

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

}  // namespace

bool is_image_file_name(const std::string& name) {
  static const char* const kExt[] = {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp",
                                     ".ppm", ".pgm", ".pbm",  ".pnm", ".jp2", ".exr",  ".hdr"};
  const std::string ext = lower(fs::path(name).extension().string());
  return std::find(std::begin(kExt), std::end(kExt), ext) != std::end(kExt);
}

InputKind classify_input(const std::string& path, bool rerun) {
  std::error_code ec;
  if (path.empty()) throw UsageError("no input given");
  if (!fs::exists(path, ec)) throw UsageError("input " + path + " does not exist");
  // Opening a FIFO blocks until a writer comes, and a socket cannot be read
  // as a file: refuse both at once (was: infer hung in open()).
  const fs::file_type type = fs::status(path, ec).type();
  if (type == fs::file_type::fifo || type == fs::file_type::socket)
    throw UsageError("input " + path + " is a " +
                     (type == fs::file_type::fifo ? "FIFO" : "socket") +
                     ", not a picture, video, folder or session");
  if (fs::is_directory(path, ec)) {
    if (core::session::SessionReader::is_session(path)) {
      if (!rerun)
        throw UsageError(path +
                         " is a recorded session: add --rerun to run the network on its frames");
      return InputKind::kSession;
    }
    if (rerun)
      throw UsageError("--rerun needs a recorded session folder (with manifest.json); " + path +
                       " is not one");
    return InputKind::kFolder;
  }
  if (rerun) throw UsageError("--rerun needs a recorded session folder; " + path + " is a file");
  return is_image_file_name(path) ? InputKind::kImage : InputKind::kVideo;
}

void check_no_unfinished_sequence(const std::string& output) {
  std::error_code ec;
  if (fs::exists(output + "/" + kSpoolFileName, ec))
    throw UsageError(output + " holds the sequence of an interrupted run (" + kSpoolFileName +
                     "): write its files with `intershape infer --resume --output " + output +
                     "`, or delete it");
}

std::vector<std::string> finish_unfinished_sequence(const std::string& output) {
  std::error_code ec;
  if (!fs::exists(output + "/" + kSpoolFileName, ec))
    throw UsageError(output + " holds no interrupted run to resume (no " +
                     std::string(kSpoolFileName) + ")");
  return finish_spool(output);
}

InferSummary run_infer(HandEstimator& estimator, const InferOptions& options, std::FILE* log) {
  const InputKind kind = classify_input(options.input, options.rerun);
  if (options.output.empty()) throw UsageError("no output folder given");
  check_no_unfinished_sequence(options.output);
  SequenceExporter exporter(options.output, options.formats, estimator.faces());
  InferSummary summary;
  EstimateOptions eo;
  eo.stage_details = options.formats.json;
  eo.attention_details = options.formats.attention;
  std::string source = fs::path(options.input).filename().string();
  if (source.empty()) source = fs::path(options.input).parent_path().filename().string();

  Progress progress(log, options.progress && kind != InputKind::kImage, 0);
  auto process = [&](const cv::Mat& bgr, int64_t index, double timestamp, const std::string& name,
                     const std::string& frame_source) {
    auto frame = std::make_shared<Frame>();
    frame->bgr = bgr;
    frame->index = index;
    frame->timestamp_s = timestamp;
    frame->captured_at = Clock::now();
    InferenceResult r;
    r.frame = frame;
    r.crop = CropRect::whole_frame(bgr.cols, bgr.rows);
    const auto t0 = Clock::now();
    const cv::Mat input = make_network_input(bgr, r.crop);
    const double pre_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    r.output = estimator.estimate(input, eo);
    r.keypoints_frame = keypoints_in_frame(r.output.xyc, r.crop);
    r.finished_at = Clock::now();
    FrameRecord rec = make_frame_record(r, frame_source);
    rec.preprocess_ms = pre_ms;
    auto paths = exporter.add(name, rec, r.output, input);
    summary.written.insert(summary.written.end(), paths.begin(), paths.end());
    ++summary.processed;
    if (options.on_result) options.on_result(name, rec, r.output);
  };
  auto cancelled = [&] {
    if (options.cancel && options.cancel->load()) summary.cancelled = true;
    return summary.cancelled;
  };
  // A failed picture, frame or input: warned now, named again in the summary.
  auto fail = [&](const std::string& warning, const std::string& failure = "") {
    progress.warn(warning);
    ++summary.failed;
    summary.failures.push_back(failure.empty() ? warning : failure);
  };
  // One picture through the image-size policy; a bad one is a per-picture
  // outcome (warned, named, counted), never the end of the run.
  auto read_image = [&](const std::string& path) {
    try {
      return core::read_image(path, options.image_limits,
                              cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION);
    } catch (const core::ImageError& e) {
      fail(std::string("skipping ") + e.what(), e.what());
      return cv::Mat();
    }
  };

  switch (kind) {
    case InputKind::kImage: {
      const cv::Mat bgr = read_image(options.input);
      if (bgr.empty()) break;
      process(bgr, 0, 0.0, fs::path(options.input).stem().string(), source);
      break;
    }
    case InputKind::kFolder: {
      std::vector<fs::path> files;
      for (const auto& e : fs::directory_iterator(options.input)) {
        const std::string n = e.path().filename().string();
        if (n.empty() || n[0] == '.') continue;  // hidden files, our own temporaries
        std::error_code ec;
        if (e.is_directory(ec)) continue;
        if (!e.is_regular_file(ec)) {
          // A FIFO or device named like a picture would block the read.
          progress.warn("skipping " + e.path().string() + ": not a regular file");
          ++summary.skipped;
          continue;
        }
        if (!is_image_file_name(n)) {
          progress.warn("skipping " + e.path().string() + ": not an image file");
          ++summary.skipped;
          continue;
        }
        files.push_back(e.path());
      }
      std::sort(files.begin(), files.end());
      if (files.empty()) {
        progress.warn("no images in " + options.input);
        break;
      }
      progress = Progress(log, options.progress, static_cast<int64_t>(files.size()));
      progress.update(0);
      // A folder has no clock: frames are 1/30 s apart (for the GLB animation).
      for (size_t k = 0; k < files.size() && !cancelled(); ++k) {
        const cv::Mat bgr = read_image(files[k].string());
        if (!bgr.empty()) {
          // Each picture is its own source: name it by its file.
          process(bgr, static_cast<int64_t>(k), k / 30.0, files[k].stem().string(),
                  files[k].filename().string());
        }
        progress.update(static_cast<int64_t>(k + 1));
      }
      break;
    }
    case InputKind::kVideo: {
      // FFmpeg directly: the other backends (GStreamer) print pages of noise
      // on files they cannot read.
      cv::VideoCapture cap;
      if (cv::videoio_registry::hasBackend(cv::CAP_FFMPEG))
        cap.open(options.input, cv::CAP_FFMPEG);
      else
        cap.open(options.input);
      if (!cap.isOpened()) {
        fail("cannot read " + options.input +
                      ": neither an image nor a video OpenCV can open");
        break;
      }
      const double fps = cap.get(cv::CAP_PROP_FPS);
      const int64_t total =
          std::max<int64_t>(0, static_cast<int64_t>(cap.get(cv::CAP_PROP_FRAME_COUNT)));
      progress = Progress(log, options.progress, total);
      progress.update(0);
      const std::string stem = fs::path(options.input).stem().string();
      cv::Mat bgr;
      int64_t k = 0;
      while (!cancelled() && cap.read(bgr)) {
        if (bgr.empty()) break;
        const double t = fps > 0 ? k / fps : cap.get(cv::CAP_PROP_POS_MSEC) / 1000.0;
        process(bgr.clone(), k, t, numbered(stem, k), source);
        ++k;
        progress.update(k);
      }
      if (k == 0) {
        fail("no frames could be read from " + options.input);
      } else if (total > 0 && k < total && !summary.cancelled) {
        fail("read " + std::to_string(k) + " of the " + std::to_string(total) + " frames of " +
             options.input + "; the rest could not be decoded");
      }
      break;
    }
    case InputKind::kSession: {
      core::session::SessionReader reader(options.input);
      progress = Progress(log, options.progress, reader.frame_count());
      progress.update(0);
      std::string stem = fs::path(options.input).filename().string();
      if (stem.empty()) stem = fs::path(options.input).parent_path().filename().string();
      source = reader.manifest().source.empty() ? stem : reader.manifest().source;
      core::session::SessionReader::Item item;
      int64_t k = 0;
      while (!cancelled() && reader.next(item)) {
        // A stored result that cannot be read does not matter here: it is
        // recomputed (was: the whole rerun stopped on it).
        if (!item.result_error.empty())
          progress.warn("stored result not used (it is recomputed): " + item.result_error);
        process(item.frame->bgr, item.frame->index, item.frame->timestamp_s,
                numbered(stem, item.frame->index), source);
        progress.update(++k);
      }
      if (k < reader.manifest().frame_count && !summary.cancelled) {
        fail("the session lists " + std::to_string(reader.manifest().frame_count) +
                      " frames, only " + std::to_string(k) + " could be read" +
                      (reader.shortfall().empty() ? std::string() : ": " + reader.shortfall()));
      }
      break;
    }
  }
  progress.finish();
  if (summary.cancelled)
    progress.warn("interrupted after " + std::to_string(summary.processed) + " picture(s)");
  auto paths = exporter.finish();
  summary.written.insert(summary.written.end(), paths.begin(), paths.end());
  return summary;
}

}  // namespace intershape::core::exporters
