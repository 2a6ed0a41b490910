#pragma once
// `intershape infer` on the engine (core/pipeline.h): the source the input
// names (an image, a folder of images, a video, or a recorded session with
// rerun) is read with every-frame pacing (nothing dropped), each frame goes
// through the engine's per-frame step with the whole frame as the crop (the
// reference demo's fit), and every result goes to the exporters
// (core/exporters/sequence_exporter.h, a ResultSink). The calling thread is
// the consumer; the estimator runs on the engine's worker thread. Messages
// (warnings, the progress bar) go to `log`.

#include <atomic>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "app/exit_codes.h"
#include "core/exporters/sequence_exporter.h"
#include "core/hand_estimator.h"
#include "core/image_limits.h"
#include "core/pipeline.h"

namespace intershape::app {

// Throws UsageError: missing path, a session without `rerun`, `rerun` on
// something else. A file that is no image is taken for a video.
core::SourceSpec infer_source(const std::string& path, bool rerun);

struct InferOptions {
  std::string input;
  std::string output;
  core::exporters::ExportFormats formats;
  core::exporters::RigOptions rig;  // for glb / bvh
  bool rerun = false;     // input is a recorded session: run the network on its frames
  // Pictures above these are skipped with a warning naming them (checked from
  // the header, before decoding).
  core::ImageLimits image_limits;
  bool progress = false;  // draw a progress bar on `log` (the CLI: only when it is a terminal)
  // Called after each picture's files are written. Optional.
  std::function<void(const core::FrameResult&)> on_result;
  // Set (e.g. from a SIGINT handler) to stop after the current picture; the
  // sequence files are still written for the pictures done. Optional.
  const std::atomic<bool>* cancel = nullptr;
  // MediaPipe's hand detector (made on the engine's worker thread). With it,
  // every result carries the hands ("detections"); images and folders are
  // detected picture by picture, videos and sessions tracked. Optional.
  core::DetectorFactory detector;
  // What the network sees (--crop): whole (the reference demo's fit, the
  // default here), track, or detect (needs `detector`).
  core::CropMode crop = core::CropMode::kWhole;
  // Skeleton mode: no network at all, the hands only (needs `detector`).
  bool skeleton = false;
};

// Throws UsageError when `output` holds the spool of an interrupted run
// (.sequence.spool): a new run would replace the frames it kept.
void check_no_unfinished_sequence(const std::string& output);
// `intershape infer --resume`: writes the sequence files (sequence.npz, the
// rigged sequence.glb, the BVH, sequence_frames.glb, as that run asked) from
// the spool an interrupted run left in `output`, the same bytes an
// uninterrupted run over the frames it finished writes; removes the spool.
// Throws UsageError (no spool there) or formats::ExportError.
core::exporters::SpoolOutput finish_unfinished_sequence(const std::string& output);

struct InferSummary {
  int processed = 0;  // pictures run and written
  int failed = 0;     // unreadable images or frames, failed passes
  int skipped = 0;    // files in a folder that are not images
  bool cancelled = false;
  std::vector<std::string> written;  // every path written, in order
  bool ok() const { return failed == 0 && processed > 0 && !cancelled; }
};

// Throws UsageError, core::ModelError (from the factory, or the hand models
// when they are needed: skeleton mode, --crop detect), core::SourceError
// (the input as a whole cannot be opened), formats::ExportError
// (cannot write: the run stops there, files written so far stay valid).
// Unreadable inputs are warned about and counted, and the rest processed.
InferSummary run_infer(const core::EstimatorFactory& factory, const core::ModelConfig& model,
                       const InferOptions& options, std::FILE* log);
// The same with an estimator made by the caller (tests); it is used on the
// engine's worker thread while this call runs.
InferSummary run_infer(core::HandEstimator& estimator, const InferOptions& options,
                       std::FILE* log);

}  // namespace intershape::app
