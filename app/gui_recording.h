#pragma once
// Recording from the GUI into a session folder (core/session/session_recorder.h).
// Main thread only.
//
// What is recorded is what the window shows: while a model runs, each result
// with the frame it was computed from (every result carries its frame); with
// no model, each frame shown. So a recording runs at the result rate while the
// network runs, and at the display rate without it.
// With `rig_export`, the session's hand animation is written next to it:
// sequence.glb (rigged glTF) and sequence_{right,left}.bvh, through the same
// exporter as `intershape infer --export glb,bvh` (default camera field of
// view). Each result goes to the folder's .sequence.spool as it comes, and
// stop() builds the files from it, so a killed GUI keeps its animation:
// `intershape infer --resume --output FOLDER` finishes it.

#include <memory>
#include <string>

#include "core/exporters/sequence_exporter.h"
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
                    const std::string& settings_json, bool rig_export = true);
  // Finishes the folder (video index, manifest). Keeps the recorder's error.
  void stop();
  // What the last stop() wrote or could not write (rig export), plain words; "" if nothing.
  const std::string& export_note() const { return export_note_; }
  bool recording() const;
  // What went wrong in the recording stopped last ("" when it was complete):
  // the GUI names it on stderr and exits 1 (issue 14, item 3).
  const std::string& last_error() const { return last_error_; }
  const std::string& last_folder() const { return last_folder_; }
  RecordingStatus status() const;

  // The frame just shown (recorded only when no model runs), and a result
  // just taken (recorded with its frame).
  void on_frame(const core::FramePtr& frame, bool model_running);
  void on_result(const core::ResultPtr& result);

  static std::string default_folder();  // ~/intershape_sessions/session-YYYYmmdd-HHMMSS

 private:
  std::unique_ptr<core::session::SessionRecorder> recorder_;
  // The rig export, created with the first result (the models come with it).
  std::string folder_;
  const core::Engine* engine_ = nullptr;  // set while a rig export is wanted
  std::unique_ptr<core::exporters::SequenceExporter> animation_;
  bool animation_failed_ = false;
  std::string export_note_;
  std::string last_error_, last_folder_;
};

}  // namespace intershape::app
