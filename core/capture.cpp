#include "core/capture.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include "core/image_limits.h"

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace intershape::core {

namespace fs = std::filesystem;

// ---- sources -----------------------------------------------------------------

namespace {

cv::Mat to_bgr8(const cv::Mat& in) {
  if (in.empty()) return {};
  cv::Mat out;
  if (in.channels() == 1)
    cv::cvtColor(in, out, cv::COLOR_GRAY2BGR);
  else if (in.channels() == 4)
    cv::cvtColor(in, out, cv::COLOR_BGRA2BGR);
  else
    out = in;
  if (out.depth() != CV_8U) out.convertTo(out, CV_8U, out.depth() == CV_16U ? 1.0 / 257 : 1.0);
  return out;
}

class VideoSource final : public FrameSource {
 public:
  VideoSource(cv::VideoCapture cap, bool live) : cap_(std::move(cap)), live_(live) {
    if (!live_) {
      const double n = cap_.get(cv::CAP_PROP_FRAME_COUNT);
      count_ = n > 0 ? static_cast<int64_t>(n) : -1;
    }
    const double f = cap_.get(cv::CAP_PROP_FPS);
    fps_ = (f > 0 && f < 1000) ? f : 0.0;
  }
  bool read(cv::Mat& bgr) override {
    cv::Mat raw;
    if (!cap_.read(raw) || raw.empty()) return false;
    bgr = to_bgr8(raw);
    ++position_;
    return !bgr.empty();
  }
  bool seek(int64_t frame) override {
    if (live_) return false;
    frame = std::max<int64_t>(0, count_ > 0 ? std::min(frame, count_ - 1) : frame);
    if (!cap_.set(cv::CAP_PROP_POS_FRAMES, static_cast<double>(frame))) return false;
    position_ = frame;
    return true;
  }
  int64_t position() const override { return position_; }
  int64_t count() const override { return count_; }
  double fps() const override { return fps_; }
  bool seekable() const override { return !live_ && count_ > 0; }

 private:
  cv::VideoCapture cap_;
  bool live_;
  int64_t count_ = -1;
  double fps_ = 0.0;
  int64_t position_ = 0;
};

class ImageFolderSource final : public FrameSource {
 public:
  ImageFolderSource(std::vector<std::string> files, ImageLimits limits)
      : files_(std::move(files)), limits_(limits) {}
  bool read(cv::Mat& bgr) override {
    while (position_ < count()) {
      const std::string& file = files_[static_cast<size_t>(position_)];
      ++position_;
      // Through the image-size policy: a header bomb or a corrupt picture is
      // skipped and named (was: cv::imread threw in this thread, SIGABRT).
      try {
        bgr = to_bgr8(read_image(file, limits_, cv::IMREAD_UNCHANGED));
      } catch (const ImageError& e) {
        skipped_.push_back(e.what());
        continue;
      } catch (const cv::Exception& e) {  // a conversion of an odd pixel format
        skipped_.push_back(file + ": " + e.what());
        continue;
      }
      if (!bgr.empty()) return true;
      skipped_.push_back(file + ": not a picture this program can use");
    }
    return false;
  }
  std::vector<std::string> take_skipped() override { return std::exchange(skipped_, {}); }
  bool seek(int64_t frame) override {
    position_ = std::clamp<int64_t>(frame, 0, std::max<int64_t>(0, count() - 1));
    return true;
  }
  int64_t position() const override { return position_; }
  int64_t count() const override { return static_cast<int64_t>(files_.size()); }
  double fps() const override { return 30.0; }
  bool seekable() const override { return true; }

 private:
  std::vector<std::string> files_;
  ImageLimits limits_;
  std::vector<std::string> skipped_;
  int64_t position_ = 0;
};

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp" || ext == ".tif" ||
         ext == ".tiff" || ext == ".webp";
}

}  // namespace

// ---- SourceSpec ----------------------------------------------------------------

SourceSpec SourceSpec::camera_index(int index) {
  SourceSpec s;
  s.kind = Kind::kCamera;
  s.camera = index;
  return s;
}

SourceSpec SourceSpec::parse(const std::string& text) {
  SourceSpec s;
  if (!text.empty() && text.size() <= 2 &&
      std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); }))
    return camera_index(std::stoi(text));
  s.path = text;
  std::error_code ec;
  if (fs::is_directory(text, ec))
    s.kind = Kind::kImages;
  else if (text.find("://") != std::string::npos)
    s.kind = Kind::kStream;
  else
    s.kind = Kind::kVideo;
  return s;
}

std::string SourceSpec::describe() const {
  switch (kind) {
    case Kind::kCamera:
      return "camera " + std::to_string(camera);
    case Kind::kVideo:
      return "video " + path;
    case Kind::kImages:
      return "image folder " + path;
    case Kind::kStream:
      return "stream " + path;
    case Kind::kCustom:
      return custom_kind + " " + path;
  }
  return "?";
}

const char* state_name(CaptureStatus::State s) {
  switch (s) {
    case CaptureStatus::State::kIdle:
      return "idle";
    case CaptureStatus::State::kOpening:
      return "opening";
    case CaptureStatus::State::kPlaying:
      return "playing";
    case CaptureStatus::State::kPaused:
      return "paused";
    case CaptureStatus::State::kEnded:
      return "ended";
    case CaptureStatus::State::kError:
      return "error";
  }
  return "?";
}

// ---- Capture -------------------------------------------------------------------

Capture::Capture(std::vector<LatestSlot<FramePtr>*> outputs, LatestSlot<FramePtr>* worker_output)
    : outputs_(std::move(outputs)), worker_output_(worker_output) {}

Capture::~Capture() {
  request_stop();
  join();
}

void Capture::start(const SourceSpec& source) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = false;
    requested_ = source;
    open_requested_ = true;
  }
  thread_ = std::thread([this] { run(); });
}

void Capture::request_stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
}

void Capture::join() {
  if (thread_.joinable()) thread_.join();
}

template <class Change>
void Capture::command(Change&& change) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    change();
    ++commands_;
  }
  cv_.notify_all();
}

void Capture::open(const SourceSpec& source) {
  command([&] {
    requested_ = source;
    open_requested_ = true;
  });
}
void Capture::set_paused(bool paused) {
  command([&] { paused_ = paused; });
}
void Capture::step() {
  command([&] { ++step_requests_; });
}
void Capture::seek(int64_t frame) {
  command([&] { seek_to_ = std::max<int64_t>(0, frame); });
}
void Capture::set_speed(double factor) {
  command([&] { speed_ = std::clamp(factor, 0.05, 16.0); });
}
void Capture::set_pacing(Pacing pacing) {
  command([&] { pacing_ = pacing; });
}
void Capture::set_loop(bool loop) {
  command([&] { loop_ = loop; });
}
void Capture::set_last_frame(int64_t last) {
  command([&] { last_frame_ = last; });
}

CaptureStatus Capture::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return status_;
}
Pacing Capture::pacing() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return pacing_;
}
double Capture::speed() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return speed_;
}
bool Capture::loop() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return loop_;
}
bool Capture::paused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return paused_;
}

bool Capture::open_now(const SourceSpec& spec) {
  source_.reset();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status_ = CaptureStatus{};
    status_.state = CaptureStatus::State::kOpening;
    status_.source = spec.describe();
    status_.message = "Opening " + spec.describe() + "...";
  }
  std::unique_ptr<FrameSource> src;
  std::string problem;
  try {
    switch (spec.kind) {
      case SourceSpec::Kind::kCamera: {
#if defined(__linux__)
        // V4L2 directly: CAP_ANY would also probe GStreamer and USB depth
        // cameras, which is slow to fail and leaks inside those libraries.
        cv::VideoCapture cap(spec.camera, cv::CAP_V4L2);
#else
        cv::VideoCapture cap(spec.camera);
#endif
        if (cap.isOpened())
          src = std::make_unique<VideoSource>(std::move(cap), true);
        else
          problem = "Camera " + std::to_string(spec.camera) +
                    " could not be opened. Is it connected, and not in use by another program?";
        break;
      }
      case SourceSpec::Kind::kStream: {
        // FFmpeg with its open and read timeouts: a silent server cannot hold
        // the thread (and so shutdown, and the recording's finalisation).
        cv::VideoCapture cap;
        cap.open(spec.path, cv::CAP_FFMPEG,
                 {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, kStreamOpenTimeoutMs,
                  cv::CAP_PROP_READ_TIMEOUT_MSEC, kStreamReadTimeoutMs});
        if (cap.isOpened())
          src = std::make_unique<VideoSource>(std::move(cap), true);
        else
          problem = "The stream " + spec.path + " could not be opened.";
        break;
      }
      case SourceSpec::Kind::kVideo: {
        std::error_code ec;
        if (!fs::exists(spec.path, ec)) {
          problem = "The video file " + spec.path + " does not exist.";
          break;
        }
        // A FIFO blocks the open until a writer comes, a socket never opens as
        // a file: refused at once (was: the thread hung, and shutdown with it).
        const fs::file_type type = fs::status(spec.path, ec).type();
        if (type == fs::file_type::fifo || type == fs::file_type::socket) {
          problem = spec.path + " is a " + (type == fs::file_type::fifo ? "FIFO" : "socket") +
                    ", not a video file.";
          break;
        }
        // FFmpeg reads every file format we write and expect; letting
        // OpenCV probe all backends on a bad file is slow and leaks inside
        // GStreamer and libusb.
        cv::VideoCapture cap(spec.path, cv::CAP_FFMPEG);
        if (cap.isOpened())
          src = std::make_unique<VideoSource>(std::move(cap), false);
        else
          problem = "The video file " + spec.path +
                    " could not be opened (not a video, or a codec this build cannot read).";
        break;
      }
      case SourceSpec::Kind::kCustom: {
        if (spec.make) src = spec.make();
        if (!src) problem = spec.describe() + " could not be opened.";
        break;
      }
      case SourceSpec::Kind::kImages: {
        std::vector<std::string> files;
        std::error_code ec;
        for (const auto& e : fs::directory_iterator(spec.path, ec))
          if (e.is_regular_file() && is_image_file(e.path())) files.push_back(e.path().string());
        std::sort(files.begin(), files.end());
        if (files.empty())
          problem = "The folder " + spec.path + " holds no images (png, jpg, bmp, tif, webp).";
        else
          src = std::make_unique<ImageFolderSource>(std::move(files), spec.image_limits);
        break;
      }
    }
  } catch (const std::exception& e) {
    problem = spec.describe() + " could not be opened: " + e.what();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (!src) {
    status_.state = CaptureStatus::State::kError;
    status_.message = problem;
    return false;
  }
  status_.frame_count = src->count();
  status_.source_fps = src->fps();
  status_.seekable = src->seekable();
  status_.state = CaptureStatus::State::kPlaying;
  status_.message.clear();
  source_ = std::move(src);
  return true;
}

void Capture::publish(cv::Mat&& bgr, int64_t index, double timestamp_s) {
  auto frame = std::make_shared<Frame>();
  frame->bgr = std::move(bgr);
  frame->index = index;
  frame->timestamp_s = timestamp_s;
  frame->captured_at = Clock::now();
  frame->recorded = source_ ? source_->recorded() : nullptr;
  FramePtr shared = std::move(frame);
  for (auto* slot : outputs_) slot->put(shared);
}

void Capture::run() {
  // The thread's top: whatever escapes the loop (a bug, bad_alloc) becomes the
  // status the UI shows, never std::terminate.
  try {
    run_loop();
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    status_.state = CaptureStatus::State::kError;
    status_.message = "The capture thread stopped: " + std::string(e.what());
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    status_.state = CaptureStatus::State::kError;
    status_.message = "The capture thread stopped: unknown error";
  }
}

void Capture::run_loop() {
  using namespace std::chrono;
  SourceSpec spec;
  bool live = false;
  const auto t_start = Clock::now();
  auto due = Clock::now();
  auto last_publish = Clock::time_point{};
  bool retry_open = false;  // a live source failed: retry after a second

  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (open_requested_ || retry_open) {
      if (open_requested_) spec = requested_;
      open_requested_ = false;
      retry_open = false;
      lock.unlock();
      const bool ok = open_now(spec);
      lock.lock();
      live = spec.is_live();
      due = Clock::now();
      if (!ok) {
        // Wait for another source, a stop, or (cameras, streams) retry later.
        const uint64_t seen = commands_;
        if (live)
          retry_open = !cv_.wait_for(lock, seconds(1),
                                     [&] { return stop_ || open_requested_ || commands_ != seen; });
        else
          cv_.wait(lock, [&] { return stop_ || open_requested_; });
      }
      continue;
    }
    if (!source_) {
      cv_.wait(lock, [&] { return stop_ || open_requested_; });
      continue;
    }

    // Decide whether to read a frame now.
    bool forced = false;  // a step or a seek reads even while paused
    if (seek_to_ >= 0 && source_->seekable()) {
      const int64_t target = seek_to_;
      seek_to_ = -1;
      source_->seek(target);
      status_.position = source_->position();
      if (status_.state == CaptureStatus::State::kEnded)
        status_.state = CaptureStatus::State::kPaused;
      forced = true;
    } else {
      seek_to_ = -1;
    }
    if (!forced && step_requests_ > 0) {
      --step_requests_;
      forced = true;
    }
    const bool ended = status_.state == CaptureStatus::State::kEnded;
    if (!forced && (paused_ || ended)) {
      if (!ended) status_.state = CaptureStatus::State::kPaused;
      const uint64_t seen = commands_;
      cv_.wait(lock, [&] { return stop_ || commands_ != seen; });
      continue;
    }
    if (!forced && !live) {
      if (pacing_ == Pacing::kSourceRate) {
        const double fps = source_->fps() > 0 ? source_->fps() : 30.0;
        const auto period = duration_cast<Clock::duration>(duration<double>(1.0 / (fps * speed_)));
        due = std::max(due + period, Clock::now() - period);  // no catch-up burst after a stall
        const uint64_t seen = commands_;
        if (cv_.wait_until(lock, due, [&] { return stop_ || commands_ != seen; })) {
          due -= period;  // a command interrupted the wait: plan this frame again
          continue;
        }
      } else if (pacing_ == Pacing::kEveryFrame && worker_output_) {
        lock.unlock();
        worker_output_->wait_empty();
        lock.lock();
        if (stop_) break;
      }
    }
    if (!paused_ || forced) status_.state = CaptureStatus::State::kPlaying;
    if (paused_) status_.state = CaptureStatus::State::kPaused;

    // Read outside the lock: decoding or a camera can block.
    const double fps = source_->fps();
    lock.unlock();
    const auto t0 = Clock::now();
    cv::Mat bgr;
    bool ok = false;
    std::string failure;
    try {
      ok = source_->read(bgr);
    } catch (const std::exception& e) {  // no exception leaves this thread
      failure = e.what();
    } catch (...) {
      failure = "unknown error";
    }
    std::vector<std::string> skipped = source_->take_skipped();
    const auto t1 = Clock::now();
    if (!skipped.empty() || !failure.empty()) {
      std::lock_guard<std::mutex> relock(mutex_);
      status_.frames_skipped += skipped.size();
      if (!skipped.empty()) status_.last_skipped = skipped.back();
      if (!failure.empty()) {
        status_.state = CaptureStatus::State::kError;
        status_.message = spec.describe() + ": cannot read a frame: " + failure;
      }
    }
    if (!failure.empty()) {
      // The source is in an unknown state: drop it and wait for another.
      lock.lock();
      source_.reset();
      continue;
    }
    // The index of the frame returned: a source that skipped unreadable
    // frames (an image folder) has moved past them.
    const int64_t index = std::max<int64_t>(0, source_->position() - 1);
    const double ts = live ? duration<double>(t1 - t_start).count()
                           : (fps > 0 ? static_cast<double>(index) / fps : 0.0);
    if (ok) {
      const int w = bgr.cols, h = bgr.rows;
      publish(std::move(bgr), index, ts);
      lock.lock();
      status_.read_ms = duration<double, std::milli>(t1 - t0).count();
      status_.width = w;
      status_.height = h;
      ++status_.frames_read;
      status_.position = source_->position();
      if (last_publish != Clock::time_point{}) {
        const double dt = duration<double>(t1 - last_publish).count();
        if (dt > 0)
          status_.rate_hz = status_.rate_hz == 0 ? 1 / dt : 0.9 * status_.rate_hz + 0.1 / dt;
      }
      last_publish = t1;
      if (!live && last_frame_ >= 0 && index >= last_frame_) {
        status_.state = CaptureStatus::State::kEnded;
        status_.message = "Stopped after frame " + std::to_string(index) + " (frame limit).";
      }
      continue;
    }
    lock.lock();
    if (live) {
      status_.state = CaptureStatus::State::kError;
      status_.message = spec.describe() + " stopped delivering frames (unplugged?). Retrying...";
      source_.reset();
      const uint64_t seen = commands_;
      retry_open = !cv_.wait_for(lock, seconds(1),
                                 [&] { return stop_ || open_requested_ || commands_ != seen; });
      if (!open_requested_) retry_open = true;
    } else if (loop_ && source_->position() > 0) {
      source_->seek(0);
    } else {
      status_.state = CaptureStatus::State::kEnded;
      status_.message = "End of " + spec.describe() + ".";
    }
  }
}

}  // namespace intershape::core
