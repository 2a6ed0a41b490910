// `intershape eval`: the network scored on InterHand2.6M with the reference's
// protocol (core/eval), and `intershape eval --merge DIR...` for shard outputs.
// Exit status (decided in main, app/exit_codes.h): 0 done, 1 failure (cannot
// write, resume mismatch), 2 usage, 3 model or dataset error (missing or
// malformed annotation, missing image, unknown camera: a core::SourceError).

#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/model_options.h"
#include "core/eval/evaluate.h"
#include "core/formats/checkpoint.h"
#include "core/hand_estimator.h"
#include "core/net/network.h"
#include "core/sources.h"
#include "mano/mano_model.h"

namespace intershape::app {
namespace {

namespace ev = core::eval;

struct EvalArgs {
  core::ModelConfig model;
  std::string dataset, split = "test", output = "eval_out", shard;
  int batch = 16, workers = 2, chunk = 256;
  int64_t limit = 0;
  bool resume = false, skip_missing = false, load_only = false;
  std::vector<std::string> merge;
};

using Usage = UsageError;

// The MANO models for the ground truth: --mano, else the checkpoint's buffers.
mano::ManoPair gt_mano(const core::ModelConfig& m) {
  if (!m.mano_dir.empty()) return mano::load_mano_dir(m.mano_dir);
  std::unique_ptr<core::formats::Checkpoint> ck = core::formats::Checkpoint::open(m.checkpoint);
  mano::ArrayLookup lookup = [&ck](const std::string& key) -> std::optional<core::formats::Array> {
    const core::formats::TensorInfo* info = ck->find(key);
    if (!info) return std::nullopt;
    return ck->read(*info);
  };
  mano::ManoPair pair;
  pair.right = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.r.", false, ck->path());
  pair.left = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.l.", true, ck->path());
  return pair;
}

int run_merge(const EvalArgs& a) {
  const core::eval::Metrics m = ev::merge_runs(a.merge, a.output, std::cerr);
  std::printf("%s", ev::summary_text(m).c_str());
  std::fprintf(stderr, "intershape eval: merged %zu folders, %lld samples; outputs in %s\n",
               a.merge.size(), static_cast<long long>(m.samples), a.output.c_str());
  return kOk;
}

// --load-only: the annotation files read and the list built, timed, with the
// process's peak memory (README "Evaluate" reports it for real-size files).
int run_load_only(const EvalArgs& a) {
  const auto t0 = std::chrono::steady_clock::now();
  const ev::Annotations annotations = ev::load_annotations(a.dataset, a.split);
  const std::vector<ev::EvalSample> list = ev::build_eval_list(annotations);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  std::printf("loaded %zu annotations, %zu cameras' captures, %zu MANO frames; %zu samples evaluated; "
              "%.2f s, peak RSS %.0f MB\n",
              annotations.samples.size(), annotations.cameras.size(), annotations.fits.size(),
              list.size(), s, static_cast<double>(usage.ru_maxrss) / 1024.0);
  return kOk;
}

int run_eval(const EvalArgs& a) {
  if (a.dataset.empty()) throw Usage("--dataset DIR is required (or --merge DIR...)");
  if (a.load_only) return run_load_only(a);
  if (a.model.synthetic == !a.model.checkpoint.empty())
    throw Usage("give exactly one of --checkpoint FILE or --synthetic");
  if (a.model.synthetic && a.model.mano_dir.empty())
    throw Usage("--synthetic needs --mano DIR (the MANO model files)");
  if (a.split != "test" && a.split != "val" && a.split != "train")
    throw Usage("--split must be test, val or train");
  if (a.batch < 1) throw Usage("--batch must be at least 1");
  if (a.limit < 0) throw Usage("--limit must be >= 0");
  ev::EvalOptions o;
  if (!a.shard.empty()) {
    const size_t slash = a.shard.find('/');
    try {
      if (slash == std::string::npos) throw std::invalid_argument("no slash");
      o.shard_index = std::stoi(a.shard.substr(0, slash));
      o.shard_count = std::stoi(a.shard.substr(slash + 1));
    } catch (const std::exception&) {
      throw Usage("--shard must be I/N (e.g. 0/4), got '" + a.shard + "'");
    }
    if (o.shard_count < 1 || o.shard_index < 0 || o.shard_index >= o.shard_count)
      throw Usage("--shard I/N needs 0 <= I < N, got '" + a.shard + "'");
  }
  o.output_dir = a.output;
  o.batch = a.batch;
  o.limit = a.limit;
  o.resume = a.resume;
  o.skip_missing = a.skip_missing;
  o.workers = a.workers;
  if (a.chunk < 1) throw Usage("--chunk must be at least 1");
  o.chunk_samples = a.chunk;
  o.progress = ::isatty(STDERR_FILENO) != 0;

  const ev::GroundTruthMano mano(gt_mano(a.model));
  const ev::PreparedDataset data = ev::prepare_dataset(a.dataset, a.split, mano, a.output, std::cerr);
  std::unique_ptr<core::net::TwoHandNetwork> net = core::net::TwoHandNetwork::create(a.model);
  o.model_description = net->describe();
  std::fprintf(stderr, "intershape eval: model on %s\n", o.model_description.c_str());
  const ev::NetworkFn fn = [&net](const float* nchw, int batch) {
    return net->estimate_batch_chw(nchw, batch, {});
  };
  const ev::EvalSummary s = ev::run_evaluation(data, mano, fn, o, std::cerr);
  std::printf("%s", ev::summary_text(s.metrics).c_str());
  const double wait_share = s.seconds > 0 ? s.data_wait_seconds / s.seconds : 0;
  std::fprintf(stderr,
               "intershape eval: %lld samples evaluated now (%lld resumed, %lld skipped: image "
               "missing); %.2f images/s, waiting on data %.1f%% of the time; outputs in %s\n",
               static_cast<long long>(s.evaluated_now), static_cast<long long>(s.resumed),
               static_cast<long long>(s.skipped_missing), s.images_per_second,
               100.0 * wait_share, a.output.c_str());
  return kOk;
}

// Errors are thrown to main, which decides the exit status; the eval-specific
// ones are mapped onto its kinds here (dataset -> source error, exit 3).
int run(const EvalArgs& a) {
  try {
    return a.merge.empty() ? run_eval(a) : run_merge(a);
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  } catch (const mano::ManoError& e) {
    throw core::ModelError(std::string("MANO model: ") + e.what());
  } catch (const core::formats::CheckpointError& e) {
    throw core::ModelError(e.what());
  } catch (const ev::DatasetError& e) {
    throw core::SourceError(std::string("dataset: ") + e.what());
  }
}

}  // namespace

void add_eval_command(CLI::App& app, int& exit_code) {
  auto a = std::make_shared<EvalArgs>();
  CLI::App* cmd = app.add_subcommand(
      "eval", "Score the network on InterHand2.6M with the reference's protocol (MPJPE, MPVPE, AUC)");
  add_model_options(*cmd, a->model);
  cmd->add_option("--dataset", a->dataset,
                  "The InterHand2.6M_5fps_batch1 folder (images/, annotations/)");
  cmd->add_option("--split", a->split, "test | val")->capture_default_str();
  cmd->add_option("--output", a->output, "Output folder")->capture_default_str();
  cmd->add_option("--batch", a->batch, "Network batch size")->capture_default_str();
  cmd->add_option("--workers", a->workers, "Decode + crop threads")->capture_default_str();
  cmd->add_option("--chunk", a->chunk, "Write partial results every N samples")
      ->capture_default_str();
  cmd->add_option("--limit", a->limit, "Evaluate only the first N samples (0: all)");
  cmd->add_option("--shard", a->shard, "Evaluate shard I of N (samples i with i % N == I)");
  cmd->add_flag("--resume", a->resume, "Continue a stopped run in --output");
  cmd->add_flag("--skip-missing", a->skip_missing, "Skip (and count) samples whose image is missing");
  cmd->add_flag("--load-only", a->load_only,
                "Only read the annotations and build the list; print the time and peak memory");
  cmd->add_option("--merge", a->merge, "Combine the outputs of shard runs (folders) into --output")
      ->expected(1, -1);
  cmd->callback([a, &exit_code] { exit_code = run(*a); });
}

}  // namespace intershape::app
