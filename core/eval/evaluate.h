#pragma once
// `intershape eval`'s engine: the reference's InterHand2.6M protocol run over a
// dataset with a batched network, decode + crop on worker threads ahead of it
// (bounded window), partial results written as it goes (resumable, shardable),
// and the outputs (metrics.json, pck.csv/png, per-sequence and per-joint tables,
// predictions.npz). The network comes in as a function, so this library never
// includes LibTorch (the ground-truth MANO forward is in ground_truth.cpp).

#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/eval/ground_truth.h"
#include "core/eval/joints_cache.h"
#include "core/eval/protocol.h"
#include "core/eval/records.h"
#include "core/types.h"

namespace intershape::core::eval {

// The dataset as the reference builds it: annotations, the evaluation list,
// and each entry's ground-truth world joints (from the joints cache, computed
// and the cache written where missing).
struct PreparedDataset {
  std::string dataset_dir;
  Annotations annotations;
  std::vector<EvalSample> list;
  std::vector<WorldJoints> world_joints;  // per list entry, world mm, reference order
  std::string cache_path;                 // the cache read or written ("" if neither)
  bool cache_written = false;
  double load_seconds = 0;
  std::string fingerprint;
};

// Loads the split and builds the list. The joints cache is read from
// annotations/<split>/InterHand2.6M_<split>_MANO_joints.json when present;
// frames missing from it are computed and the file (re)written there, or, if
// that folder is not writable, in `fallback_dir` (message on `log`).
PreparedDataset prepare_dataset(const std::string& dataset_dir, const std::string& split,
                                const GroundTruthMano& mano, const std::string& fallback_dir,
                                std::ostream& log);

struct EvalOptions {
  std::string output_dir = "eval_out";
  int batch = 16;
  int64_t limit = 0;         // first N samples of the list (0: all)
  int shard_index = 0, shard_count = 1;
  bool resume = false;
  bool skip_missing = false;  // missing images are skipped and counted instead of an error
  int workers = 2;            // decode + crop threads
  int chunk_samples = 256;    // partial results are written every this many samples
  bool progress = false;      // progress bar on stderr (a terminal)
  std::string model_description;
};

// [batch, 3, 256, 256] normalised inputs -> one output per input.
using NetworkFn = std::function<std::vector<NetworkOutput>(const float* nchw, int batch)>;

struct EvalSummary {
  Metrics metrics;
  int64_t evaluated_now = 0;     // samples run in this call
  int64_t resumed = 0;           // samples found in partial results
  int64_t skipped_missing = 0;   // images missing (with skip_missing)
  double seconds = 0;            // wall time of the network loop
  double data_wait_seconds = 0;  // time the network loop waited for decoded crops
  double images_per_second = 0;
};

// Runs the selected samples and writes the outputs into options.output_dir.
// Throws DatasetError (missing image, unknown camera, ...) or std::runtime_error.
EvalSummary run_evaluation(const PreparedDataset& data, const GroundTruthMano& mano,
                           const NetworkFn& network, const EvalOptions& options, std::ostream& log);

// Combines the partial results of shard output folders into `output_dir`
// (metrics as one run). Throws std::runtime_error when the folders disagree or
// a shard is incomplete.
Metrics merge_runs(const std::vector<std::string>& dirs, const std::string& output_dir,
                   std::ostream& log);

// The outputs from the run folder's chunks (DIR/partial): metrics from the
// records without vertices, then predictions streamed chunk by chunk, so
// memory stays ~2 KB per sample. predictions.npz holds joints, trans and the
// keys, and the vertices when they stay under 2 GiB; above that the vertices
// go to predictions_vertices.npy (same layout; zip without zip64 cannot hold
// them).
Metrics write_outputs(const std::string& dir, const nlohmann::json& run_extra);

// The reference's summary lines (MPJPE, MPVPE, AUC), for stdout.
std::string summary_text(const Metrics& m);

}  // namespace intershape::core::eval
