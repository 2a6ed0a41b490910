#include "core/session/session_recorder.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>

#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "core/formats/atomic_file.h"

namespace intershape::core::session {

struct SessionRecorder::Video {
  cv::VideoWriter writer;
  cv::Size size;
  std::string codec;
  std::string file = "video.avi";
};

namespace {

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string frame_json_name(int64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "frame_%06lld.json", static_cast<long long>(k));
  return buf;
}

}  // namespace

SessionRecorder::SessionRecorder(std::string dir, SessionInfo info, RecorderOptions options)
    : dir_(std::move(dir)), info_(std::move(info)), options_(options) {}

SessionRecorder::~SessionRecorder() { stop(); }

void SessionRecorder::start() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) return;
  formats::ensure_directory(dir_);
  if (std::filesystem::exists(dir_ + "/manifest.json"))
    throw formats::ExportError("cannot record into " + dir_ + ": it already holds a recorded session");
  frames_csv_ = std::fopen((dir_ + "/frames.csv").c_str(), "w");
  if (!frames_csv_)
    throw formats::ExportError("cannot write " + dir_ + "/frames.csv: " + std::strerror(errno));
  std::fputs("position,source_frame,timestamp_s,has_result\n", frames_csv_);
  started_at_ = utc_now();
  started_ = true;
  status_.recording = true;
  writer_ = std::thread([this] { run(); });
}

bool SessionRecorder::push(FrameResultPtr result) {
  if (!result) return false;
  FramePtr frame = result->frame;
  return enqueue({std::move(frame), std::move(result)});
}

bool SessionRecorder::push(FramePtr frame) { return enqueue({std::move(frame), nullptr}); }

std::vector<std::string> SessionRecorder::add(const FrameResultPtr& result) {
  push(result);
  return {};
}

std::vector<std::string> SessionRecorder::finish() {
  stop();
  return {dir_};
}

bool SessionRecorder::enqueue(Item item) {
  if (!item.frame || item.frame->bgr.empty()) return false;
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_ || stopping_ || failed_) return false;
  if (queue_.size() >= options_.queue_capacity) {
    // Every frame matters: wait for the writer a little before giving up on this one.
    not_full_.wait_for(lock, options_.block_timeout, [&] {
      return queue_.size() < options_.queue_capacity || stopping_ || failed_;
    });
    if (queue_.size() >= options_.queue_capacity || stopping_ || failed_) {
      ++status_.frames_dropped;
      return false;
    }
  }
  queue_.push_back(std::move(item));
  status_.queued = static_cast<int64_t>(queue_.size());
  not_empty_.notify_one();
  return true;
}

void SessionRecorder::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }
  if (writer_.joinable()) writer_.join();
}

RecorderStatus SessionRecorder::status() const {
  std::lock_guard<std::mutex> lock(mutex_);
  RecorderStatus s = status_;
  if (s.error.empty() && s.frames_dropped > 0)
    s.error = std::to_string(s.frames_dropped) + " frame(s) dropped: the disk could not keep up";
  return s;
}

void SessionRecorder::set_error(const std::string& message) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (status_.error.empty()) status_.error = message;
  failed_ = true;
  // Whatever is still queued will not be written.
  status_.frames_dropped += static_cast<int64_t>(queue_.size());
  queue_.clear();
  status_.queued = 0;
  not_full_.notify_all();
}

void SessionRecorder::run() {
  int since_manifest = 0;
  bool ok = true;
  try {
    write_manifest(false);
  } catch (const std::exception& e) {
    set_error(e.what());
    ok = false;
  }
  while (ok) {
    Item item;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      not_empty_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) break;  // stopping and drained
      item = std::move(queue_.front());
      queue_.pop_front();
      status_.queued = static_cast<int64_t>(queue_.size());
      not_full_.notify_one();
    }
    try {
      write_item(item);
      if (++since_manifest >= options_.manifest_every) {
        since_manifest = 0;
        write_manifest(false);
      }
    } catch (const std::exception& e) {
      set_error(e.what());
      ok = false;
    }
  }
  // Finalise what exists: the video index, the frame list, the manifest.
  if (video_) video_->writer.release();
  if (frames_csv_) {
    std::fflush(frames_csv_);
    ::fsync(fileno(frames_csv_));
    std::fclose(frames_csv_);
    frames_csv_ = nullptr;
  }
  try {
    write_manifest(true);
  } catch (const std::exception& e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (status_.error.empty()) status_.error = e.what();
  }
  std::lock_guard<std::mutex> lock(mutex_);
  status_.recording = false;
  failed_ = failed_ || !status_.error.empty();
}

void SessionRecorder::write_item(const Item& item) {
  const cv::Mat& bgr = item.frame->bgr;
  if (!video_) {
    auto v = std::make_unique<Video>();
    v->size = bgr.size();
    const std::string path = dir_ + "/" + v->file;
    if (options_.allow_ffv1 && v->writer.open(path, cv::VideoWriter::fourcc('F', 'F', 'V', '1'),
                                              info_.fps, v->size, true)) {
      v->codec = "FFV1";
    } else if (v->writer.open(path, cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), info_.fps, v->size,
                              true)) {
      v->writer.set(cv::VIDEOWRITER_PROP_QUALITY, 95);
      v->codec = "MJPG";
    } else {
      throw formats::ExportError("cannot write " + path +
                        ": no video encoder (FFV1 or MJPG) could be opened");
    }
    video_ = std::move(v);
    std::lock_guard<std::mutex> lock(mutex_);
    status_.codec = video_->codec;
  }
  int64_t position;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    position = status_.frames_written;
  }
  if (item.result) {
    // The stored JSON names the frame by its position in video.avi and the
    // session's source; the picture itself is in the video.
    FrameResult stored = *item.result;
    auto frame = std::make_shared<Frame>(*item.result->frame);
    frame->index = position;
    frame->source = info_.source;
    stored.frame = std::move(frame);
    formats::write_file_atomic(dir_ + "/" + frame_json_name(position),
                               exporters::frame_to_json(stored, options_.json));
  }
  if (bgr.size() == video_->size && bgr.type() == CV_8UC3) {
    video_->writer.write(bgr);
  } else {
    // A camera that changes resolution mid-session: keep one video size.
    cv::Mat fitted;
    cv::resize(bgr, fitted, video_->size);
    if (fitted.type() != CV_8UC3) cv::cvtColor(fitted, fitted, cv::COLOR_GRAY2BGR);
    video_->writer.write(fitted);
  }
  if (std::fprintf(frames_csv_, "%lld,%lld,%.17g,%d\n", static_cast<long long>(position),
                   static_cast<long long>(item.frame->index), item.frame->timestamp_s,
                   item.result ? 1 : 0) < 0 ||
      std::fflush(frames_csv_) != 0)
    throw formats::ExportError("cannot write " + dir_ + "/frames.csv: " + std::strerror(errno));
  std::lock_guard<std::mutex> lock(mutex_);
  ++status_.frames_written;
  if (item.result) ++status_.results_written;
}

void SessionRecorder::write_manifest(bool complete) {
  RecorderStatus s;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s = status_;
  }
  nlohmann::json m;
  m["format"] = "intershape-session";
  m["format_version"] = kSessionFormatVersion;
  m["source"] = info_.source;
  m["model"] = info_.model;
  m["device"] = info_.device;
  m["settings"] = info_.settings;
  m["started_at"] = started_at_;
  m["updated_at"] = utc_now();
  m["complete"] = complete;
  m["frame_count"] = s.frames_written;
  m["result_count"] = s.results_written;
  m["dropped_frames"] = s.frames_dropped;
  m["fps"] = info_.fps;
  m["video"] = {{"file", video_ ? video_->file : std::string("video.avi")},
                {"codec", video_ ? video_->codec : std::string()},
                {"width", video_ ? video_->size.width : 0},
                {"height", video_ ? video_->size.height : 0}};
  m["frames_file"] = "frames.csv";
  m["result_pattern"] = "frame_%06d.json";
  m["error"] = s.error;
  formats::write_file_atomic(dir_ + "/manifest.json", m.dump(2) + "\n");
}

}  // namespace intershape::core::session
