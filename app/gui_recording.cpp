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
                               const std::string& settings_json, bool rig_export) {
  stop();
  export_note_.clear();
  last_error_.clear();
  last_folder_ = folder;
  if (folder.empty()) return "Choose a folder to record into.";
  folder_ = folder;
  // The models come with the first result: a recording started with the app
  // (--record) begins while the model is still loading.
  engine_ = rig_export ? &engine : nullptr;
  animation_.reset();
  animation_failed_ = false;
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
  last_error_ = recorder_->status().error;
  recorder_.reset();
  if (engine_ && !animation_ && !animation_failed_) export_note_ = "No model ran: no glb/bvh written.";
  engine_ = nullptr;
  if (!animation_) return;
  try {
    const std::vector<std::string> written = animation_->finish();
    std::string notes;
    for (const std::string& n : animation_->notes()) notes += (notes.empty() ? "" : " ") + n;
    if (written.empty())
      export_note_ = notes.empty() ? "No glb/bvh written." : notes;
    else
      export_note_ = "Wrote " + std::to_string(written.size()) + " file(s): sequence.glb and BVH." +
                     (notes.empty() ? "" : " " + notes);
  } catch (const std::exception& e) {
    export_note_ = std::string("Could not write the hand animation: ") + e.what() +
                   " (`intershape infer --resume --output " + folder_ + "` retries)";
  }
  animation_.reset();
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
  if (!recorder_ || !result) return;
  recorder_->push(result);
  if (engine_ && !animation_ && !animation_failed_ && !result->replayed) {
    std::shared_ptr<const mano::ManoPair> models = engine_->hand_models();
    const std::shared_ptr<const core::Faces> faces = engine_->faces();
    if (!models || !faces) return;
    try {
      animation_ = std::make_unique<core::exporters::SequenceExporter>(
          folder_, core::exporters::ExportFormats::parse("glb,bvh"), *faces, std::move(models));
    } catch (const std::exception& e) {
      animation_failed_ = true;
      export_note_ = std::string("No hand animation: ") + e.what();
      return;
    }
  }
  if (!animation_) return;
  try {
    animation_->add(result);
  } catch (const std::exception& e) {
    // Disk full or the like: the recording itself reports its own failures.
    export_note_ = std::string("The hand animation stopped: ") + e.what();
    animation_.reset();
    animation_failed_ = true;
  }
}

}  // namespace intershape::app
