#pragma once
// The engine of `intershape infer`: enumerates the input (an image, a folder
// of images, a video, or a recorded session with rerun), runs the estimator on
// every picture fitted into 256x256 as the reference demo does
// (make_network_input with CropRect::whole_frame), and writes the chosen
// formats through SequenceExporter. Runs on the calling thread, which must be
// the estimator's thread. Messages (warnings, the progress bar) go to `log`.

#include <atomic>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/exporters/sequence_exporter.h"
#include "core/hand_estimator.h"
#include "core/image_limits.h"

namespace intershape::core::exporters {

// Bad combination of arguments (the CLI exits 2).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class InputKind { kImage, kFolder, kVideo, kSession };

// Throws UsageError: missing path, a session without `rerun`, `rerun` on
// something else, a FIFO or socket (it would block the read). A file that is
// no image is taken for a video.
InputKind classify_input(const std::string& path, bool rerun);

// Throws UsageError when `output` holds the spool of an interrupted run
// (.sequence.spool): a new run would replace the frames it kept.
void check_no_unfinished_sequence(const std::string& output);
// `intershape infer --resume`: writes sequence.npz / sequence.glb from the
// spool an interrupted run left in `output`, removes it, returns the paths.
// Throws UsageError (no spool there) or formats::ExportError.
std::vector<std::string> finish_unfinished_sequence(const std::string& output);

// File extensions read as images in a folder (lower case, with the dot).
bool is_image_file_name(const std::string& name);

struct InferOptions {
  std::string input;
  std::string output;
  ExportFormats formats;
  bool rerun = false;     // input is a recorded session: run the network on its frames
  // Pictures above these are skipped with a warning naming them (checked from
  // the header, before decoding).
  core::ImageLimits image_limits;
  bool progress = false;  // draw a progress bar on `log` (the CLI: only when it is a terminal)
  // Called after each picture's files are written, with its record and the
  // full network output (attention detail included). Optional.
  std::function<void(const std::string& name, const FrameRecord&, const NetworkOutput&)> on_result;
  // Set (e.g. from a SIGINT handler) to stop after the current picture; the
  // sequence files are still written for the pictures done. Optional.
  const std::atomic<bool>* cancel = nullptr;
};

struct InferSummary {
  int processed = 0;  // pictures run and written
  int failed = 0;     // unreadable images or frames
  int skipped = 0;    // files in a folder that are not images
  bool cancelled = false;
  std::vector<std::string> written;  // every path written, in order
  std::vector<std::string> failures;  // each failed picture: "PATH: PROBLEM"
  bool ok() const { return failed == 0 && processed > 0 && !cancelled; }
};

// Throws UsageError, ExportError (cannot write: the run stops there, files
// written so far stay valid) and whatever the estimator throws (ModelError).
// Unreadable inputs are warned about and counted, and the rest processed.
InferSummary run_infer(HandEstimator& estimator, const InferOptions& options, std::FILE* log);

}  // namespace intershape::core::exporters
