#include "core/capture.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <utility>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

namespace intershape::core {

namespace {
constexpr size_t kMaxPendingProblems = 256;  // messages waiting for take_problems()
}  // namespace

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
std::vector<std::string> Capture::take_problems() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<std::string> out = std::move(pending_problems_);
  pending_problems_.clear();
  if (problems_not_kept_ > 0) {
    out.push_back(std::to_string(problems_not_kept_) + " more input(s) could not be read");
    problems_not_kept_ = 0;
  }
  return out;
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
    src = open_source(spec);
  } catch (const SourceError& e) {
    problem = e.what();
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

void Capture::publish(SourceRead&& read, int64_t index, double timestamp_s) {
  FramePtr frame = make_frame(std::move(read.bgr), index, read.timestamp_s.value_or(timestamp_s),
                              std::move(read.source), std::move(read.name));
  for (auto* slot : outputs_) slot->put(frame);
}

void Capture::run() {
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
    const int64_t index = source_->position();
    const double fps = source_->fps();
    lock.unlock();
    const auto t0 = Clock::now();
    SourceRead read;
    try {
      read = source_->read();
    } catch (const std::exception& e) {
      // A decoder that throws (OpenCV on a hostile file) fails this item only.
      read = SourceRead{};
      read.status = SourceRead::Status::kFailed;
      read.problem = spec.describe() + ", frame " + std::to_string(index) + ": " + e.what();
    }
    const auto t1 = Clock::now();
    const double ts = live ? duration<double>(t1 - t_start).count()
                           : (fps > 0 ? static_cast<double>(index) / fps : 0.0);
    if (read.status == SourceRead::Status::kSkipped || read.status == SourceRead::Status::kFailed) {
      // One unreadable item is a per-frame outcome: counted, named, and the
      // source goes on with the next.
      lock.lock();
      ++(read.status == SourceRead::Status::kSkipped ? status_.items_skipped
                                                     : status_.items_failed);
      status_.last_problem = read.problem;
      if (pending_problems_.size() < kMaxPendingProblems)
        pending_problems_.push_back(std::move(read.problem));
      else
        ++problems_not_kept_;
      status_.position = source_->position();
      continue;
    }
    if (read.status == SourceRead::Status::kFrame) {
      const int w = read.bgr.cols, h = read.bgr.rows;
      publish(std::move(read), index, ts);
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
