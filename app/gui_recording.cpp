#include "app/gui_recording.h"

#include <cstdlib>
#include <ctime>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/exporters/bvh_writer.h"
#include "core/exporters/rig_gltf.h"

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
  models_.reset();
  rig_.clear();
  camera_set_ = false;
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
  if (engine_ && !models_) export_note_ = "No model ran: no glb/bvh written.";
  engine_ = nullptr;
  if (models_ && !rig_.empty()) {
    namespace ex = core::exporters;
    bool any = false;
    for (const auto& f : rig_) any = any || f.hands[0].present || f.hands[1].present;
    try {
      if (!any) {
        export_note_ = "No hand was present: no glb/bvh written.";
      } else {
        ex::write_rig_glb(folder_ + "/sequence.glb", *models_, rig_, camera_);
        const auto bvh = ex::write_bvh_files(folder_, *models_, rig_);
        export_note_ = "Wrote sequence.glb and " + std::to_string(bvh.size() / 2) +
                       " BVH file(s) (" + std::to_string(rig_.size()) + " frames).";
      }
    } catch (const std::exception& e) {
      export_note_ = std::string("Could not write the hand animation: ") + e.what();
    }
  }
  rig_.clear();
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
  if (engine_ && !models_ && !result->replayed) models_ = engine_->hand_models();
  if (models_) {
    if (!camera_set_) {
      camera_ = core::exporters::camera_for_image(result->frame->width, result->frame->height, 0.0);
      camera_set_ = true;
    }
    rig_.push_back(core::exporters::place_hands(*result, camera_));
  }
}

}  // namespace intershape::app
