// `intershape infer`: the reference demo's offline run on an image, a folder
// of images, a video or a recorded session, writing meshes and results.
// Exit status (app/exit_codes.h): 0 everything processed, 1 something failed
// (unreadable input, cannot write), 2 usage errors, 3 the model or the input
// cannot be opened.

#include <signal.h>
#include <unistd.h>

#include <atomic>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "app/allocator.h"
#include "app/commands.h"
#include "app/hand_options.h"
#include "app/image_options.h"
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
  HandOptions hands;
  std::string input, output, exports = "obj,json";
  double focal_px = 0;
  std::string intrinsics;
  bool rerun = false, absent_hands = false, pose_correctives = false;
  bool resume = false;
  core::ImageLimits image_limits;
};

// --resume: the sequence files of a killed run, from its spool (no model).
// Errors are thrown and turned into the exit status by main.
int resume(const InferArgs& a) {
  const core::exporters::SpoolOutput out = finish_unfinished_sequence(a.output);
  for (const std::string& p : out.paths) std::fprintf(stderr, "intershape infer: wrote %s\n", p.c_str());
  for (const std::string& n : out.notes) std::fprintf(stderr, "intershape infer: %s\n", n.c_str());
  if (out.paths.empty() && out.notes.empty())
    std::fprintf(stderr, "intershape infer: the interrupted run had finished no frame: nothing to write\n");
  return kOk;
}

int run(const InferArgs& a) {
  if (a.resume) {
    if (!a.input.empty()) throw UsageError("--resume takes no --input: it finishes --output");
    return resume(a);
  }
  InferOptions opt;
  try {
    if (a.input.empty()) throw UsageError("--input is required (or --resume)");
    opt.formats = ex::ExportFormats::parse(a.exports);
    opt.formats.absent_meshes = a.absent_hands;
  } catch (const std::invalid_argument& e) {  // the --export list
    throw UsageError(e.what());
  }
  if (a.model.synthetic && a.model.mano_dir.empty())
    throw UsageError("--synthetic needs --mano DIR (the MANO model files)");
  // No checkpoint: skeleton mode, MediaPipe's hands only.
  const bool skeleton = !a.model.synthetic && a.model.checkpoint.empty();
  if (a.model.precision == "fp16" && a.model.device == "cpu")
    throw UsageError("--precision fp16 needs a CUDA device (half precision is not implemented on CPU)");
  infer_source(a.input, a.rerun);  // usage problems before the model loads
  if (a.focal_px > 0 && !a.intrinsics.empty())
    throw UsageError("give --focal or --intrinsics, not both");
  if (!a.intrinsics.empty() && !std::filesystem::is_regular_file(a.intrinsics))
    throw UsageError("--intrinsics " + a.intrinsics + " is not a file");
  check_no_unfinished_sequence(a.output);
  // An output folder that cannot be made or written fails now, not after a
  // model load of seconds (an existing read-only folder too).
  core::formats::ensure_directory(a.output);
  core::formats::check_writable_folder(a.output);
  opt.input = a.input;
  opt.output = a.output;
  opt.rerun = a.rerun;
  opt.rig.focal_px = a.focal_px;
  opt.rig.intrinsics_path = a.intrinsics;
  opt.rig.pose_correctives = a.pose_correctives;
  opt.image_limits = a.image_limits;
  opt.progress = ::isatty(STDERR_FILENO) != 0;
#if INTERSHAPE_WITH_TORCH
  opt.cancel = &g_interrupted;
  ::signal(SIGINT, on_interrupt);
  opt.crop = a.hands.crop_mode();
  opt.skeleton = skeleton;
  // MediaPipe's models, loaded on the engine's worker thread. Required in
  // skeleton mode and for --crop detect; otherwise the results just lack them.
  opt.detector = [hands = a.hands, device = a.model.device] {
    return load_hand_tracker(hands, device);
  };
  if (skeleton)
    std::fprintf(stderr, "intershape infer: no --checkpoint: skeletons from MediaPipe's hand models only\n");
  // The model is made on the engine's worker thread, which runs it.
  auto factory = [](const core::ModelConfig& m) {
    std::unique_ptr<core::HandEstimator> e = core::create_estimator(m);
    release_free_memory();  // the load's transient buffers (heap trimming is off, app/allocator.h)
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
                                     "a recorded session and export results (without --checkpoint: "
                                     "MediaPipe's hand skeletons only)");
  add_model_options(*cmd, args->model);
  add_hand_options(*cmd, args->hands);
  cmd->add_option("--input", args->input,
                  "Image, folder of images, video file, or recorded session folder")
      ;
  cmd->add_option("--output", args->output, "Output folder (created if missing)")->required();
  cmd->add_flag("--resume", args->resume,
                "Write sequence.npz / sequence.glb of an interrupted run from what it left in "
                "--output (no model, no --input)");
  cmd->add_option("--export", args->exports,
                  "Comma-separated: obj,ply,glb,bvh,glb-frames,json,npz,attention (default "
                  "obj,json). glb: rigged glTF of both hands; bvh: one BVH per hand; "
                  "glb-frames: one mesh node per frame");
  cmd->add_option("--focal", args->focal_px,
                  "Focal length in source pixels for glb/bvh camera placement (default: a "
                  "60-degree horizontal field of view)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--intrinsics", args->intrinsics,
                  "JSON camera intrinsics {fx, fy, cx, cy} or {K} for glb/bvh placement");
  cmd->add_flag("--pose-correctives", args->pose_correctives,
                "glb: add MANO's pose correctives as 135 morph targets per hand, so the mesh is "
                "MANO's exactly (+1.1 KB a frame, +2.5 MB)");
  cmd->add_flag("--absent-hands", args->absent_hands,
                "Write OBJ/PLY also for hands the network marks absent (presence < 0.5), as the "
                "reference demo does");
  add_image_limit_option(*cmd, args->image_limits);
  cmd->add_flag("--rerun", args->rerun,
                "Input is a recorded session: run the network again on its frames");
  cmd->callback([args, &exit_code] { exit_code = run(*args); });
}

}  // namespace intershape::app
