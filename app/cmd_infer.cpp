// `intershape infer`: the reference demo's offline run on an image, a folder
// of images, a video or a recorded session, writing meshes and results.
// Exit status (app/exit_codes.h): 0 everything processed, 1 something failed
// (unreadable input, cannot write), 2 usage errors, 3 the model or the input
// cannot be opened.

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/model_options.h"
#include "core/formats/atomic_file.h"
#include "app/infer_run.h"
#include "core/hand_estimator.h"

namespace intershape::app {
namespace {

namespace ex = core::exporters;

// Ctrl-C stops after the current picture, so the sequence files still get
// written for what was done; a second Ctrl-C kills as usual.
std::atomic<bool> g_interrupted{false};
extern "C" void on_interrupt(int) {
  g_interrupted.store(true);
  ::signal(SIGINT, SIG_DFL);
}

struct InferArgs {
  core::ModelConfig model;
  std::string input, output, exports = "obj,json";
  bool rerun = false;
};

int run(const InferArgs& a) {
  InferOptions opt;
  try {
    opt.formats = ex::ExportFormats::parse(a.exports);
  } catch (const std::invalid_argument& e) {  // the --export list
    throw UsageError(e.what());
  }
  if (a.model.synthetic && a.model.mano_dir.empty())
    throw UsageError("--synthetic needs --mano DIR (the MANO model files)");
  if (!a.model.synthetic && a.model.checkpoint.empty())
    throw UsageError("--checkpoint FILE is required (or --synthetic)");
  if (a.model.precision == "fp16" && a.model.device == "cpu")
    throw UsageError("--precision fp16 needs a CUDA device (half precision is not implemented on CPU)");
  infer_source(a.input, a.rerun);  // usage problems before the model loads
  opt.input = a.input;
  opt.output = a.output;
  opt.rerun = a.rerun;
  opt.progress = ::isatty(STDERR_FILENO) != 0;
#if INTERSHAPE_WITH_TORCH
  opt.cancel = &g_interrupted;
  ::signal(SIGINT, on_interrupt);
  // The model is made on the engine's worker thread, which runs it.
  auto factory = [](const core::ModelConfig& m) {
    std::unique_ptr<core::HandEstimator> e = core::create_estimator(m);
    std::fprintf(stderr, "intershape infer: model on %s\n", e->describe().c_str());
    return e;
  };
  const InferSummary s = run_infer(factory, a.model, opt, stderr);
  std::fprintf(stderr, "intershape infer: %d processed, %d failed, %d skipped; %zu files in %s\n",
               s.processed, s.failed, s.skipped, s.written.size(), a.output.c_str());
  if (s.processed == 0) std::fprintf(stderr, "intershape infer: nothing was processed\n");
  return s.ok() ? kOk : kFailure;
#else
  throw std::runtime_error("built without LibTorch: the network is not available in this build");
#endif
}

}  // namespace

void add_infer_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<InferArgs>();
  CLI::App* cmd = app.add_subcommand("infer",
                                     "Run the network on an image, a folder of images, a video or "
                                     "a recorded session and export results");
  add_model_options(*cmd, args->model);
  cmd->add_option("--input", args->input,
                  "Image, folder of images, video file, or recorded session folder")
      ->required();
  cmd->add_option("--output", args->output, "Output folder (created if missing)")->required();
  cmd->add_option("--export", args->exports,
                  "Comma-separated: obj,ply,glb,json,npz,attention (default obj,json)");
  cmd->add_flag("--rerun", args->rerun,
                "Input is a recorded session: run the network again on its frames");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace intershape::app
