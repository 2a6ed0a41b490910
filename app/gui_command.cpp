// The GUI's command-line options on the root command: what runs when no
// subcommand is given.

#include <cstdio>
#include <string>

#include "app/commands.h"
#include "app/model_options.h"
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
  std::string panel;
  int frames = 0;
  std::string screenshot;
  int width = 1280, height = 720;
  float presence = 0.5f;
  std::string record;
  bool rerun = false;
};
}  // namespace

void add_gui_options(CLI::App& app, int& exit_code) {
  auto o = std::make_shared<GuiOptions>();
  app.add_option("--input", o->input,
                 "Video file, folder of images, stream URL, or camera index (GUI)");
  app.add_option("--camera", o->camera, "Camera index, the default source (GUI)");
  add_model_options(app, o->model, " (GUI)");
  app.add_option("--frames", o->frames,
                 "Run on the first N frames, then save --screenshot and exit");
  app.add_option("--screenshot", o->screenshot, "PNG to save after --frames frames");
  app.add_option("--presence-threshold", o->presence,
                 "Hand presence under which a hand is not drawn (GUI)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--rerun", o->rerun,
               "Replaying a recorded session (--input SESSION): run the network again (GUI)");
  app.add_option("--record", o->record, "Record the session into this folder from the start (GUI)");
  app.add_option("--panel", o->panel, "Panel to open at start: attention | 3d");
  app.add_option("--width", o->width, "Window width")->check(CLI::Range(320, 8192));
  app.add_option("--height", o->height, "Window height")->check(CLI::Range(240, 8192));
  app.callback([&app, &exit_code, o] {
    if (!app.get_subcommands().empty()) return;  // a subcommand ran instead
    if ((o->frames > 0) != !o->screenshot.empty())
      throw CLI::ValidationError("--frames and --screenshot go together");
#if INTERSHAPE_WITH_GUI
    GuiConfig c;
    c.source =
        o->input.empty() ? core::SourceSpec::camera_index(o->camera) : core::session::resolve_source(o->input);
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
    exit_code = run_gui(c, product_estimator_factory());
#else
    std::fprintf(stderr,
                 "intershape: this build has no GUI (INTERSHAPE_WITH_GUI=OFF); "
                 "use a subcommand, see --help.\n");
    exit_code = 1;
#endif
  });
}

}  // namespace intershape::app
