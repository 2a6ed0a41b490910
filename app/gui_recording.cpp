#include "app/gui_recording.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

#if INTERSHAPE_HAVE_EXPORT
#include <nlohmann/json.hpp>

#include "core/session/session_reader.h"
#include "core/session/session_recorder.h"
#endif

namespace intershape::app {

namespace {
constexpr size_t kMaxPending = 90;  // frames waiting for a result (~3 s at 30 fps)
}

#if INTERSHAPE_HAVE_EXPORT
namespace {

// A recorded session as a frame source: its video, frame by frame, with the
// stored result of each frame that has one.
class SessionSource final : public core::FrameSource {
 public:
  explicit SessionSource(const std::string& dir) : reader_(dir) {}
  bool read(cv::Mat& bgr) override {
    core::session::SessionReader::Item item;
    if (!reader_.next(item) || !item.frame) return false;
    bgr = item.frame->bgr;  // immutable, shared
    recorded_.reset();
    if (item.result) {
      auto r = std::make_shared<core::RecordedResult>();
      r->crop = item.result->crop;
      r->output = item.result->output;
      r->keypoints_frame = item.result->keypoints2d;
      recorded_ = std::move(r);
    }
    return !bgr.empty();
  }
  bool seek(int64_t frame) override {
    reader_.seek(frame);
    return true;
  }
  int64_t position() const override { return reader_.position(); }
  int64_t count() const override { return reader_.frame_count(); }
  double fps() const override { return reader_.manifest().fps; }
  bool seekable() const override { return true; }
  std::shared_ptr<const core::RecordedResult> recorded() const override { return recorded_; }

 private:
  core::session::SessionReader reader_;
  std::shared_ptr<const core::RecordedResult> recorded_;
};

}  // namespace

core::SourceSpec source_from_text(const std::string& text) {
  if (!core::session::SessionReader::is_session(text)) return core::SourceSpec::parse(text);
  core::SourceSpec spec;
  spec.kind = core::SourceSpec::Kind::kCustom;
  spec.path = text;
  spec.custom_kind = "recorded session";
  spec.make = [text]() -> std::unique_ptr<core::FrameSource> {
    return std::make_unique<SessionSource>(text);
  };
  return spec;
}

struct GuiRecorder::Impl {
  std::unique_ptr<core::session::SessionRecorder> recorder;
  std::string start_error;
};
bool GuiRecorder::available() { return true; }
#else
core::SourceSpec source_from_text(const std::string& text) { return core::SourceSpec::parse(text); }
struct GuiRecorder::Impl {};
bool GuiRecorder::available() { return false; }
#endif

GuiRecorder::GuiRecorder() : impl_(std::make_unique<Impl>()) {}
GuiRecorder::~GuiRecorder() { stop(); }

std::string GuiRecorder::default_folder() {
  const char* home = std::getenv("HOME");
  const std::filesystem::path base =
      std::filesystem::path(home && *home ? home : ".") / "intershape_sessions";
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  std::strftime(stamp, sizeof stamp, "session-%Y%m%d-%H%M%S", &tm);
  return (base / stamp).string();
}

std::string GuiRecorder::start(const std::string& folder, const core::Engine& engine,
                               const std::string& settings_json) {
#if INTERSHAPE_HAVE_EXPORT
  stop();
  last_error_.clear();
  last_folder_ = folder;
  if (folder.empty()) return "Choose a folder to record into.";
  const core::CaptureStatus cs = engine.capture_status();
  const core::WorkerStatus ws = engine.worker_status();
  core::session::SessionInfo info;
  info.source = cs.source;
  info.model = ws.describe.empty() ? "none" : ws.describe;
  info.device = ws.describe;
  info.settings = nlohmann::json::parse(settings_json, nullptr, false);
  if (info.settings.is_discarded()) info.settings = nlohmann::json::object();
  info.fps = cs.source_fps > 0 ? cs.source_fps : 30.0;
  try {
    auto rec = std::make_unique<core::session::SessionRecorder>(folder, info);
    rec->start();
    impl_->recorder = std::move(rec);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
#else
  (void)folder;
  (void)engine;
  (void)settings_json;
  return "Recording is unavailable in this build.";
#endif
}

void GuiRecorder::stop() {
#if INTERSHAPE_HAVE_EXPORT
  if (!impl_->recorder) return;
  // Frames still waiting for a result are kept without one.
  for (const auto& f : pending_) impl_->recorder->push(f, nullptr);
  pending_.clear();
  impl_->recorder->stop();
  last_error_ = impl_->recorder->status().error;
  impl_->recorder.reset();
#endif
  pending_.clear();
}

bool GuiRecorder::recording() const {
#if INTERSHAPE_HAVE_EXPORT
  return impl_->recorder != nullptr;
#else
  return false;
#endif
}

RecordingStatus GuiRecorder::status() const {
  RecordingStatus out;
#if INTERSHAPE_HAVE_EXPORT
  if (!impl_->recorder) return out;
  const auto s = impl_->recorder->status();
  out.recording = s.recording;
  out.frames_written = s.frames_written;
  out.results_written = s.results_written;
  out.frames_dropped = s.frames_dropped;
  out.queued = s.queued;
  out.codec = s.codec;
  out.error = s.error;
#endif
  return out;
}

void GuiRecorder::push(const core::FramePtr& frame, const core::ResultPtr& result) {
#if INTERSHAPE_HAVE_EXPORT
  if (impl_->recorder) impl_->recorder->push(frame, result);
#else
  (void)frame;
  (void)result;
#endif
}

void GuiRecorder::on_frame(const core::FramePtr& frame, bool model_running) {
  if (!recording() || !frame) return;
  if (!model_running) {
    for (const auto& f : pending_) push(f, nullptr);
    pending_.clear();
    push(frame, nullptr);
    return;
  }
  pending_.push_back(frame);
  while (pending_.size() > kMaxPending) {
    push(pending_.front(), nullptr);
    pending_.pop_front();
  }
}

void GuiRecorder::on_result(const core::ResultPtr& result) {
  if (!recording() || !result) return;
  // Frames are identified by their shared pointer (indices repeat after a
  // seek or a loop).
  auto it = pending_.begin();
  while (it != pending_.end() && *it != result->frame) ++it;
  if (it == pending_.end()) return;  // its frame was never shown: nothing to attach it to
  for (auto f = pending_.begin(); f != it; ++f) push(*f, nullptr);
  push(*it, result);
  pending_.erase(pending_.begin(), std::next(it));
}

}  // namespace intershape::app
