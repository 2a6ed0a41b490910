// The GUI's command-line options on the root command: what runs when no
// subcommand is given.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/hand_options.h"
#include "app/image_options.h"
#include "app/model_options.h"
#include "core/formats/atomic_file.h"
#include "core/capture.h"
#include "core/hand_estimator.h"
#include "core/session/session_source.h"

#if INTERSHAPE_WITH_GUI
#include "app/gui.h"
#include "app/gui_recording.h"
#endif

namespace intershape::app {

namespace {
struct GuiOptions {
  std::string input;
  int camera = 0;
  core::ModelConfig model;
  HandOptions hands;
  std::string panel;
  int frames = 0;
  std::string screenshot;
  int width = 1280, height = 720;
  float presence = 0.5f;
  std::string record;
  bool rerun = false;
  core::ImageLimits image_limits;
  std::string stats_file;
};

#if INTERSHAPE_WITH_GUI
// --stats-file: how the render loop and the network did, as one JSON object
// (scripts/gui_vs_bench.sh compares it with `intershape bench`).
void write_stats(const std::string& path, const GuiRunReport& r) {
  char text[800];
  std::snprintf(text, sizeof text,
                "{\"seconds\": %.3f, \"idle_seconds\": %.3f, \"frames_rendered\": %llu, "
                "\"render_hz\": %.2f, \"idle_share\": %.4f, \"results_seen\": %llu, "
                "\"max_result_to_screen_ms\": %.1f, \"network_results\": %llu, "
                "\"network_ms_median\": %.1f, \"internet_ms_median\": %.1f, "
                "\"frames_rendered_before_first_result\": %llu, \"first_result_s\": %.3f}\n",
                r.seconds, r.idle_seconds, static_cast<unsigned long long>(r.frames_rendered),
                r.seconds > 0 ? r.frames_rendered / r.seconds : 0.0,
                r.seconds > 0 ? r.idle_seconds / r.seconds : 0.0,
                static_cast<unsigned long long>(r.results_seen), r.max_result_to_screen_ms,
                static_cast<unsigned long long>(r.network_results), r.network_ms_median,
                r.internet_ms_median,
                static_cast<unsigned long long>(r.frames_rendered_before_first_result),
                r.first_result_s);
  core::formats::write_file_atomic(path, text);
}
#endif
}  // namespace

void add_gui_options(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GuiOptions>();
  app.add_option("--input", o->input,
                 "Video file, folder of images, stream URL, or camera index (GUI)");
  app.add_option("--camera", o->camera, "Camera index, the default source (GUI)");
  add_model_options(app, o->model, " (GUI)");
  add_hand_options(app, o->hands, " (GUI)");
  add_image_limit_option(app, o->image_limits, " (GUI)");
  app.add_option("--frames", o->frames,
                 "Run on the first N frames, then save --screenshot and exit");
  app.add_option("--screenshot", o->screenshot, "PNG to save after --frames frames");
  app.add_option("--presence-threshold", o->presence,
                 "Hand presence under which a hand is not drawn (GUI)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--rerun", o->rerun,
               "Replaying a recorded session (--input SESSION): run the network again (GUI)");
  app.add_option("--record", o->record, "Record the session into this folder from the start (GUI)");
  app.add_option("--stats-file", o->stats_file,
                 "Write the render loop's and the network's figures here as JSON at exit (GUI)");
  app.add_option("--panel", o->panel, "Panel to open at start: attention | 3d");
  app.add_option("--width", o->width, "Window width")->check(CLI::Range(320, 8192));
  app.add_option("--height", o->height, "Window height")->check(CLI::Range(240, 8192));
  app.callback([&app, &exit_code, o] {
    if (!app.get_subcommands().empty()) return;  // a subcommand ran instead
    if ((o->frames > 0) != !o->screenshot.empty())
      throw CLI::ValidationError("--frames and --screenshot go together");
    if (!o->screenshot.empty()) {
      // Found now, with its reason, not after the whole run (issue 14, item 12).
      const std::string folder = std::filesystem::path(o->screenshot).parent_path().string();
      try {
        core::formats::check_writable_folder(folder.empty() ? "." : folder);
      } catch (const core::formats::ExportError& e) {
        throw CLI::ValidationError("--screenshot", e.what());
      }
    }
#if INTERSHAPE_WITH_GUI
    GuiConfig c;
    c.source =
        o->input.empty() ? core::SourceSpec::camera_index(o->camera) : core::session::resolve_source(o->input);
    c.source.image_limits = o->image_limits;
    c.model = o->model;
    c.load_model = !o->model.checkpoint.empty() || o->model.synthetic;
    c.frames = o->frames;
    c.screenshot = o->screenshot;
    c.panel = o->panel;
    c.presence_threshold = o->presence;
    c.record_folder = o->record;
    c.rerun_recorded = o->rerun;
    c.width = o->width;
    c.height = o->height;
    c.hands.crop.mode = o->hands.crop_mode();
#if INTERSHAPE_WITH_TORCH
    // MediaPipe's models, loaded on the worker thread; without them the app
    // still runs (crops from the network's keypoints) and says why.
    c.detector = [hands = o->hands, device = o->model.device] {
      return load_hand_tracker(hands, device);
    };
#endif
    GuiRunReport report;
    c.report = &report;
    exit_code = run_gui(c, product_estimator_factory());
    if (!o->stats_file.empty()) {
      try {
        write_stats(o->stats_file, report);
      } catch (const core::formats::ExportError& e) {
        std::fprintf(stderr, "intershape: --stats-file: %s\n", e.what());
        exit_code = std::max<int>(exit_code, kFailure);
      }
    }
#else
    std::fprintf(stderr,
                 "intershape: this build has no GUI (INTERSHAPE_WITH_GUI=OFF); "
                 "use a subcommand, see --help.\n");
    exit_code = 1;
#endif
  });
}

}  // namespace intershape::app
