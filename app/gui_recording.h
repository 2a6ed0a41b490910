#pragma once
// Recording from the GUI into a session folder (core/session/session_recorder.h
// when this build has the exporters; otherwise available() is false and the
// panel says so). Main thread only.
//
// Every frame the window shows is recorded, in order; a network result is
// attached to the frame it belongs to. Frames wait (bounded) for their result
// while a model runs; frames the network skipped are recorded without one.

#include <deque>
#include <memory>
#include <string>

#include "core/pipeline.h"

namespace intershape::app {

struct RecordingStatus {
  bool recording = false;
  long long frames_written = 0, results_written = 0, frames_dropped = 0, queued = 0;
  std::string codec;
  std::string error;  // plain words, empty when fine
};

// The source for what the user typed: a recorded session folder is replayed
// (when this build has the exporters; its stored results are shown without the
// network unless Engine::set_rerun_recorded), anything else is
// SourceSpec::parse(text).
core::SourceSpec source_from_text(const std::string& text);

class GuiRecorder {
 public:
  GuiRecorder();
  ~GuiRecorder();  // stops a running recording
  GuiRecorder(const GuiRecorder&) = delete;
  GuiRecorder& operator=(const GuiRecorder&) = delete;

  static bool available();  // this build has the exporters
  // Starts recording into `folder`; returns an error in plain words or "".
  std::string start(const std::string& folder, const core::Engine& engine,
                    const std::string& settings_json);
  // Finishes the folder (video index, manifest). Keeps the recorder's error.
  void stop();
  bool recording() const;
  // What went wrong in the recording stopped last ("" when it was complete):
  // the GUI names it on stderr and exits 1 (issue 14, item 3).
  const std::string& last_error() const { return last_error_; }
  const std::string& last_folder() const { return last_folder_; }
  RecordingStatus status() const;

  // The frame just shown, and a result just taken; `model_running` says
  // whether a result can still come for pending frames.
  void on_frame(const core::FramePtr& frame, bool model_running);
  void on_result(const core::ResultPtr& result);

  static std::string default_folder();  // ~/intershape_sessions/session-YYYYmmdd-HHMMSS

 private:
  void push(const core::FramePtr& frame, const core::ResultPtr& result);
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::deque<core::FramePtr> pending_;  // shown, waiting for their result
  std::string last_error_, last_folder_;
};

}  // namespace intershape::app
