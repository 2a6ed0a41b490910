#include "app/gui_recording.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

namespace intershape::app {

GuiRecorder::GuiRecorder() = default;
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
  stop();
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
    recorder_ = std::move(rec);
  } catch (const std::exception& e) {
    return e.what();
  }
  return {};
}

void GuiRecorder::stop() {
  if (!recorder_) return;
  recorder_->stop();
  recorder_.reset();
}

bool GuiRecorder::recording() const { return recorder_ != nullptr; }

RecordingStatus GuiRecorder::status() const {
  RecordingStatus out;
  if (!recorder_) return out;
  const auto s = recorder_->status();
  out.recording = s.recording;
  out.frames_written = s.frames_written;
  out.results_written = s.results_written;
  out.frames_dropped = s.frames_dropped;
  out.queued = s.queued;
  out.codec = s.codec;
  out.error = s.error;
  return out;
}

void GuiRecorder::on_frame(const core::FramePtr& frame, bool model_running) {
  if (recorder_ && frame && !model_running) recorder_->push(frame);
}

void GuiRecorder::on_result(const core::ResultPtr& result) {
  if (recorder_ && result) recorder_->push(result);
}

}  // namespace intershape::app
