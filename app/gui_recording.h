#pragma once
// Recording from the GUI into a session folder (core/session/session_recorder.h).
// Main thread only.
//
// What is recorded is what the window shows: while a model runs, each result
// with the frame it was computed from (every result carries its frame); with
// no model, each frame shown. So a recording runs at the result rate while the
// network runs, and at the display rate without it.

#include <memory>
#include <string>

#include "core/pipeline.h"
#include "core/session/session_recorder.h"

namespace intershape::app {

struct RecordingStatus {
  bool recording = false;
  long long frames_written = 0, results_written = 0, frames_dropped = 0, queued = 0;
  std::string codec;
  std::string error;  // plain words, empty when fine
};

class GuiRecorder {
 public:
  GuiRecorder();
  ~GuiRecorder();  // stops a running recording
  GuiRecorder(const GuiRecorder&) = delete;
  GuiRecorder& operator=(const GuiRecorder&) = delete;

  // Starts recording into `folder`; returns an error in plain words or "".
  std::string start(const std::string& folder, const core::Engine& engine,
                    const std::string& settings_json);
  void stop();
  bool recording() const;
  RecordingStatus status() const;

  // The frame just shown (recorded only when no model runs), and a result
  // just taken (recorded with its frame).
  void on_frame(const core::FramePtr& frame, bool model_running);
  void on_result(const core::ResultPtr& result);

  static std::string default_folder();  // ~/intershape_sessions/session-YYYYmmdd-HHMMSS

 private:
  std::unique_ptr<core::session::SessionRecorder> recorder_;
};

}  // namespace intershape::app
