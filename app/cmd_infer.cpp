// `intershape infer`: the reference demo's offline run on an image, a folder
// of images, a video or a recorded session, writing meshes and results.
// Exit status: 0 everything processed, 1 something failed (model, unreadable
// input, cannot write), 2 usage errors.

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/model_options.h"
#include "core/formats/atomic_file.h"
#include "app/batch_infer.h"
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
  bool resume = false;
  core::ImageLimits image_limits;
};

// --resume: the sequence files of a killed run, from its spool (no model).
int resume(const InferArgs& a) {
  try {
    const std::vector<std::string> paths = ex::finish_unfinished_sequence(a.output);
    for (const std::string& p : paths) std::fprintf(stderr, "intershape infer: wrote %s\n", p.c_str());
    return 0;
  } catch (const ex::UsageError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 2;
  } catch (const core::formats::ExportError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 1;
  }
}

int run(const InferArgs& a) {
  if (a.resume) {
    if (!a.input.empty()) {
      std::fprintf(stderr, "intershape infer: --resume takes no --input: it finishes --output\n");
      return 2;
    }
    return resume(a);
  }
  ex::InferOptions opt;
  try {
    if (a.input.empty()) throw ex::UsageError("--input is required (or --resume)");
    opt.formats = ex::ExportFormats::parse(a.exports);
    if (a.model.synthetic && a.model.mano_dir.empty())
      throw ex::UsageError("--synthetic needs --mano DIR (the MANO model files)");
    if (!a.model.synthetic && a.model.checkpoint.empty())
      throw ex::UsageError("--checkpoint FILE is required (or --synthetic)");
    if (a.model.precision == "fp16" && a.model.device == "cpu")
      throw ex::UsageError(
          "--precision fp16 needs a CUDA device (half precision is not implemented on CPU)");
    ex::classify_input(a.input, a.rerun);  // usage problems before the model loads
    ex::check_no_unfinished_sequence(a.output);
  } catch (const ex::UsageError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 2;
  } catch (const std::invalid_argument& e) {  // the --export list
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 2;
  }
  try {
    // An output folder that cannot be made fails now, not after a model load of seconds.
    core::formats::ensure_directory(a.output);
    core::formats::check_writable_folder(a.output);  // an existing read-only folder too
  } catch (const core::formats::ExportError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 1;
  }
  opt.input = a.input;
  opt.output = a.output;
  opt.rerun = a.rerun;
  opt.image_limits = a.image_limits;
  opt.progress = ::isatty(STDERR_FILENO) != 0;

#if INTERSHAPE_WITH_TORCH
  try {
    std::unique_ptr<core::HandEstimator> estimator = core::create_estimator(a.model);
    std::fprintf(stderr, "intershape infer: model on %s\n", estimator->describe().c_str());
    opt.cancel = &g_interrupted;
    ::signal(SIGINT, on_interrupt);
    const ex::InferSummary s = ex::run_infer(*estimator, opt, stderr);
    std::fprintf(stderr, "intershape infer: %d processed, %d failed, %d skipped; %zu files in %s\n",
                 s.processed, s.failed, s.skipped, s.written.size(), a.output.c_str());
    // Every failure named again at the end, where a user looks (the warnings
    // may have scrolled away).
    const size_t shown = std::min<size_t>(s.failures.size(), 20);
    for (size_t i = 0; i < shown; ++i)
      std::fprintf(stderr, "intershape infer: failed: %s\n", s.failures[i].c_str());
    if (s.failures.size() > shown)
      std::fprintf(stderr, "intershape infer: ... and %zu more failures\n", s.failures.size() - shown);
    if (s.processed == 0) std::fprintf(stderr, "intershape infer: nothing was processed\n");
    return s.ok() ? 0 : 1;
  } catch (const ex::UsageError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 2;
  } catch (const core::ModelError& e) {
    std::fprintf(stderr, "intershape infer: cannot load the model: %s\n", e.what());
    return 1;
  } catch (const core::formats::ExportError& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "intershape infer: %s\n", e.what());
    return 1;
  }
#else
  std::fprintf(
      stderr,
      "intershape infer: built without LibTorch: the network is not available in this build\n");
  return 1;
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
      ;
  cmd->add_option("--output", args->output, "Output folder (created if missing)")->required();
  cmd->add_flag("--resume", args->resume,
                "Write sequence.npz / sequence.glb of an interrupted run from what it left in "
                "--output (no model, no --input)");
  cmd->add_option("--export", args->exports,
                  "Comma-separated: obj,ply,glb,json,npz,attention (default obj,json)");
  add_image_limit_option(*cmd, args->image_limits);
  cmd->add_flag("--rerun", args->rerun,
                "Input is a recorded session: run the network again on its frames");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace intershape::app
