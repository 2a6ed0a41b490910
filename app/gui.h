#pragma once
// The GUI entry point: assembles the engine (core::Engine), a window, the
// renderer and the ImGui panels, and runs the render loop on the calling
// (main) thread until the window closes or SIGINT arrives.
//
// The same function runs the screenshot mode used by tests: with frames > 0 and
// a screenshot path, it plays the first `frames` frames of the source (every
// frame processed), waits for the last frame's result, lets ImGui settle, saves
// the back buffer to the PNG and returns.

#include <cstdint>
#include <functional>
#include <string>

#include "core/capture.h"
#include "core/hand_estimator.h"
#include "core/pipeline.h"

namespace intershape::app {

// What a run did, for tests and logs.
struct GuiRunReport {
  uint64_t frames_rendered = 0;
  uint64_t frames_rendered_before_first_result = 0;
  uint64_t results_seen = 0;
  uint64_t frames_skipped = 0;  // unreadable frames the source skipped (each warned on stderr)
  core::ResultPtr last_result;  // the result drawn last
  // The render loop (issue 14, item 11): run time, the part of it spent asleep
  // waiting for events, and the longest time from a result's finish to the
  // first frame that showed it.
  double seconds = 0.0;
  double idle_seconds = 0.0;
  double max_result_to_screen_ms = 0.0;
  double first_result_s = 0.0;  // when the first result was drawn, from the start (0: none)
  // The network's own times, median over the last 64 results (0 without one).
  double network_ms_median = 0.0;
  double internet_ms_median = 0.0;
  uint64_t network_results = 0;
};

struct GuiConfig {
  core::SourceSpec source = core::SourceSpec::camera_index(0);
  core::ModelConfig model;
  bool load_model = false;  // at start (a checkpoint or --synthetic was given)
  int width = 1280, height = 720;
  // Screenshot mode (frames > 0 and a path): see above.
  int frames = 0;
  std::string screenshot;
  float presence_threshold = 0.5f;  // initial value of the Thresholds slider
  bool show_keypoints = true;       // initial drawing toggles
  bool show_skeleton = true;
  std::string panel;            // open at start: "attention", "3d" (the 3D view is open by default)
  bool rerun_recorded = false;  // replaying a session: run the network again
  std::string record_folder;    // non-empty: start recording a session there at launch
  bool remember_layout = true;  // panel layout in ~/.config/intershape (never in screenshot mode)
  GuiRunReport* report = nullptr;  // filled when the run ends, if given
  // Called once on the main thread after the first frame was drawn (tests use
  // it to send SIGINT or close the window at a known point).
  std::function<void()> on_first_frame;
  // --crop and MediaPipe's hand detector (core/hand_finder.h). The detector
  // comes from `detector` (optional: without it, crops follow the network's
  // keypoints and there is no skeleton mode).
  core::HandFinderSettings hands;
  core::DetectorFactory detector;
};

// Returns the process exit code: 0; 1 when the source skipped unreadable
// frames (each named on stderr as it happens, counted at the end); in
// screenshot mode 1 when the source failed, 3 when the requested model failed
// (the screenshot is still written).
// Throws WindowError / render::RenderError for setup failures.
int run_gui(const GuiConfig& config, core::EstimatorFactory factory);

// Layout, shared with the screenshot tests: panel columns left and right, the
// video letterboxed between them (top-left origin, window pixels).
inline constexpr int kPanelColumnWidth = 340;  // left: Model, Playback, Thresholds
inline constexpr int kRightColumnWidth = 300;  // right: Stats, Recording, 3D view
struct PixelRect {
  float x = 0, y = 0, w = 0, h = 0;
};
PixelRect video_rect(int window_w, int window_h, int frame_w, int frame_h);

// The product's estimator factory: the LibTorch network when this build has
// it, otherwise it throws ModelError saying there is no model backend.
core::EstimatorFactory product_estimator_factory();

// Panel colours the tests look for.
inline constexpr float kRightHandColor[3] = {1.00f, 0.80f, 0.10f};  // yellow
inline constexpr float kLeftHandColor[3] = {0.85f, 0.20f, 0.95f};   // magenta

}  // namespace intershape::app
