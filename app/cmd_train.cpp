// `intershape train`: the reference's training (main/train.py) on an
// InterHand2.6M-layout dataset: train-mode network (core/train), six-term
// loss over four stages, Adam over the mesh regressor, the step LR schedule,
// checkpoints in the reference's torch.save structure, per-step logs on
// stdout and in OUTPUT/train_log.jsonl.
// Exit status: 0 done, 1 failure (cannot write, ...), 2 usage, 3 model or
// dataset error.
//
// The loop, checkpoints and resume are core/train/training_run.h's; this file
// turns options into its inputs. The reference's augmentation is on unless
// --no-augment (core/train/augment.h); --workers threads build the batches
// ahead (core/train/loader.h).
// Data parallel across processes when a launcher sets RANK / WORLD_SIZE (or
// Slurm's variables): app/train_distributed.h, core/train/distributed.h.
// Weights: --init CHECKPOINT (fine-tuning), --internet FILE
// --imagenet-resnet50 FILE (from scratch, core/train/scratch_init.h),
// --synthetic (rule weights, tests), or the newest snapshot with --resume.
// --precision: core/train/precision.h.

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <torch/torch.h>
#include <nlohmann/json.hpp>

#include "app/commands.h"
#include "app/exit_codes.h"
#include "app/model_options.h"
#include "app/train_distributed.h"
#include "core/eval/evaluate.h"
#include "core/eval/interhand.h"
#include "core/formats/atomic_file.h"
#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/net/network.h"
#include "core/train/augment.h"
#include "core/train/batch_source.h"
#include "core/train/checkpoint_io.h"
#include "core/train/dataset.h"
#include "core/train/loader.h"
#include "core/train/model.h"
#include "core/train/precision.h"
#include "core/train/scratch_init.h"
#include "core/train/trainer.h"
#include "core/train/training_run.h"
#include "mano/mano_model.h"

namespace intershape::app {
namespace {

namespace tr = core::train;

struct TrainArgs {
  std::string dataset, output = "train_out", init, mano, device = "cpu";
  std::string val_split;
  std::string internet, imagenet_resnet50;  // from scratch
  std::string precision = "fp32";
  bool synthetic = false, no_augment = false, no_shuffle = false, freeze_internet_bn = false;
  bool resume = false;
  int epochs = 100, batch = 32, threads = 0, workers = 2, val_batch = 8;
  int64_t max_steps = 0, checkpoint_every = 0, val_limit = 0;
  double dist_timeout = 300;  // seconds
  uint64_t seed = 0;
  double lr = 1e-4;
  std::vector<int> lr_steps = {45, 47};
};

class Usage : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
class ModelProblem : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

mano::ManoPair mano_from_checkpoint(const core::formats::Checkpoint& ck) {
  mano::ArrayLookup lookup = [&ck](const std::string& key) -> std::optional<core::formats::Array> {
    const core::formats::TensorInfo* info = ck.find(key);
    if (!info) return std::nullopt;
    return ck.read(*info);
  };
  mano::ManoPair pair;
  pair.right = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.r.", false, ck.path());
  pair.left = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.l.", true, ck.path());
  return pair;
}

// --resume, SIGINT / SIGTERM: the loop stops after the current step and
// writes a checkpoint; a second signal ends the process at once.
std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  // A file-size limit (ulimit -f) is then a write error naming the file, as a
  // full disk is, instead of killing the process mid-write.
  ::signal(SIGXFSZ, SIG_IGN);
}

// Validation at each epoch end: the checkpoint just written scored by
// `intershape eval`'s engine (core/eval) on --val-split, as `intershape eval
// --checkpoint` would score it; outputs in OUTPUT/val/epoch_E.
tr::ValidateFn make_validator(const TrainArgs& a, const mano::ManoPair& pair) {
  auto mano = std::make_shared<core::eval::GroundTruthMano>(pair);
  auto data = std::make_shared<core::eval::PreparedDataset>(
      core::eval::prepare_dataset(a.dataset, a.val_split, *mano, a.output, std::cerr));
  if (data->list.empty())
    throw core::eval::DatasetError(a.dataset + ": no samples in the " + a.val_split + " split");
  return [a, mano, data](const std::string& checkpoint, int epoch) {
    core::net::NetworkConfig cfg;
    cfg.checkpoint = checkpoint;
    cfg.mano_dir = a.mano;
    cfg.device = a.device;
    cfg.threads = at::get_num_threads();  // keep the training's thread count
    std::unique_ptr<core::net::TwoHandNetwork> net = core::net::TwoHandNetwork::create(cfg);
    core::eval::EvalOptions o;
    o.output_dir = a.output + "/val/epoch_" + std::to_string(epoch);
    o.batch = a.val_batch;
    o.limit = a.val_limit;
    o.model_description = net->describe();
    const core::eval::NetworkFn fn = [&net](const float* nchw, int batch) {
      return net->estimate_batch_chw(nchw, batch, {});
    };
    std::ostringstream log;
    const core::eval::EvalSummary s = core::eval::run_evaluation(*data, *mano, fn, o, log);
    nlohmann::json j;
    j["split"] = a.val_split;
    j["samples"] = s.metrics.samples;
    j["mpjpe"] = s.metrics.mpjpe;
    j["mpvpe"] = s.metrics.mpvpe;
    j["mpjpe_over_valid_instances"] = s.metrics.mpjpe_over_valid_instances;
    j["auc_0_50"] = s.metrics.auc_0_50;
    j["seconds"] = s.seconds;
    return j;
  };
}

// The logged loss terms of a data-parallel step: the job's per-sample means
// (each rank's weighted by its samples), as one process on the whole batch
// would log them. Returns the job's batch size.
size_t global_terms(tr::DataParallelGroup& job, tr::StepResult& r, size_t samples) {
  std::vector<double> v(r.terms.begin(), r.terms.end());
  v.push_back(r.total);
  const int64_t total = job.average_values(v, static_cast<int64_t>(samples));
  std::copy(v.begin(), v.begin() + 6, r.terms.begin());
  r.total = v[6];
  return static_cast<size_t>(total);
}

// Every rank of a resumed job must continue from the same step (each reads
// the newest checkpoint of --output itself): the mean of step and of step^2
// over the ranks agree with this rank's only when all are equal (exact in
// double below 2^26 steps), so every rank sees a disagreement alike.
void check_same_start(tr::DataParallelGroup& job, int64_t step) {
  const double s = static_cast<double>(step);
  std::vector<double> v{s, s * s};
  job.average_values(v, 1);
  if (v[0] != s || v[1] != s * s)
    throw tr::DistributedError("rank " + std::to_string(job.rank()) +
                               ": the ranks would start from different steps (this "
                               "one from " +
                               std::to_string(step) +
                               "); with --resume every rank must see the same "
                               "--output folder (shared storage)");
}

// The options that fix the data order, as a resume record would hold them.
tr::RunRecord wanted_record(const TrainArgs& a, size_t dataset_size, int world) {
  tr::RunRecord r;
  r.seed = a.seed;
  r.batch = a.batch;
  r.world = world;
  r.shuffle = !a.no_shuffle;
  r.augment = !a.no_augment;
  r.dataset_size = static_cast<int64_t>(dataset_size);
  r.lr = a.lr;
  r.lr_steps = a.lr_steps;
  return r;
}

bool from_scratch(const TrainArgs& a) { return !a.internet.empty() || !a.imagenet_resnet50.empty(); }

void check_arguments(const TrainArgs& a, bool resuming) {
  const bool scratch = from_scratch(a);
  const int starts = int{!a.init.empty()} + int{scratch} + int{a.synthetic};
  if (!resuming && starts != 1) {
    throw Usage(a.resume && starts == 0
                    ? "--resume: no snapshot_E.pth.tar in " + a.output +
                          " to resume from; give --init CHECKPOINT, --internet/--imagenet-resnet50 "
                          "or --synthetic to start"
                    : "give exactly one of --init CHECKPOINT (fine-tune), --internet FILE "
                      "--imagenet-resnet50 FILE (from scratch) or --synthetic (rule weights, tests)");
  }
  if (starts > 1)
    throw Usage("give only one of --init, --internet/--imagenet-resnet50 and --synthetic");
  if (scratch && (a.internet.empty() || a.imagenet_resnet50.empty()))
    throw Usage(
        "training from scratch needs both --internet FILE (InterNet's snapshot_19.pth.tar) and "
        "--imagenet-resnet50 FILE (torchvision's resnet50 ImageNet state dict)");
  if ((a.synthetic || scratch) && a.mano.empty())
    throw Usage(std::string(a.synthetic ? "--synthetic" : "training from scratch") +
                " needs --mano DIR (MANO_RIGHT.pkl, MANO_LEFT.pkl)");
  if (a.batch < 1 || a.epochs < 1) throw Usage("--batch and --epochs must be >= 1");
  if (a.workers < 0) throw Usage("--workers must be >= 0");
  if (!(a.dist_timeout > 0)) throw Usage("--dist-timeout must be > 0 seconds");
  if (a.max_steps < 0 || a.checkpoint_every < 0)
    throw Usage("--max-steps and --checkpoint-every must be >= 0");
  if (!a.val_split.empty() && a.val_split != "val" && a.val_split != "test" &&
      a.val_split != "train")
    throw Usage("--val-split must be val, test or train");
  if (a.val_batch < 1 || a.val_limit < 0) throw Usage("--val-batch >= 1 and --val-limit >= 0");
}

int run_train(const TrainArgs& a) {
  const std::string existing = tr::newest_checkpoint(a.output);
  const std::string resume_from = a.resume ? existing : "";
  check_arguments(a, !resume_from.empty());
  // Starting over would replace a run's checkpoints one by one and append a
  // second run to its log: say so instead of guessing.
  if (!a.resume && !existing.empty())
    throw Usage(a.output + " already holds a training run (" + existing +
                "): pass --resume to continue it, or choose another --output");
  // Before any long work: an output that cannot be written is an error now.
  core::formats::ensure_directory(a.output);
  core::formats::check_writable_folder(a.output);
  // Data parallel: this process's rank (one process: rank 0 of 1).
  const tr::LaunchEnv job_env = launch_env_from_environment();
  const std::string device_name = tr::device_for_rank(a.device, job_env);
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(device_name);
  } catch (const std::exception&) {
    throw Usage("unknown --device '" + a.device + "' (cpu, cuda, cuda:N)");
  }
  if (device.is_cuda() && !torch::cuda::is_available())
    throw ModelProblem("--device " + a.device + ": CUDA is not available here");
  if (a.threads > 0) at::set_num_threads(a.threads);
  tr::Precision precision = tr::Precision::kFp32;
  try {
    precision = tr::parse_precision(a.precision);
    tr::check_precision(precision, device);
  } catch (const std::invalid_argument& e) {
    throw Usage(e.what());
  }
  std::unique_ptr<tr::DataParallelGroup> job =
      join_training_job(job_env, device_name, a.dist_timeout);
  fault_for_test_if_asked(job_env, -1);
  const bool rank0 = job_env.rank == 0;

  // Weights and MANO: from the checkpoint resumed, else --init, else the rule.
  const std::string weights = resume_from.empty() ? a.init : resume_from;
  if (!resume_from.empty() && rank0)
    std::fprintf(stderr, "intershape train: resuming from %s%s\n", resume_from.c_str(),
                 a.init.empty() && !a.synthetic && !from_scratch(a)
                     ? ""
                     : " (--init / --internet / --synthetic not used)");
  const bool scratch = resume_from.empty() && from_scratch(a);
  std::unique_ptr<core::formats::Checkpoint> ck, internet, resnet50;
  mano::ManoPair pair;
  try {
    if (scratch) {
      internet = core::formats::Checkpoint::open(a.internet);
      resnet50 = core::formats::Checkpoint::open(a.imagenet_resnet50);
    }
    if (!weights.empty()) {
      ck = core::formats::Checkpoint::open(weights);
      std::vector<core::net::FoundTensor> found;
      for (const auto& t : ck->tensors()) found.push_back({t.key, t.shape, t.dtype});
      const std::string problems = core::net::check_state_dict(found, a.mano.empty());
      if (!problems.empty()) throw ModelProblem(weights + ": " + problems);
    }
    pair = a.mano.empty() ? mano_from_checkpoint(*ck) : mano::load_mano_dir(a.mano);
  } catch (const core::formats::CheckpointError& e) {
    throw ModelProblem(e.what());
  } catch (const mano::ManoError& e) {
    throw ModelProblem(std::string("MANO model: ") + e.what());
  }
  tr::TwoHandNet net(pair);
  tr::RunRecord saved;
  try {
    if (ck) tr::load_checkpoint_weights(*net, *ck);
    if (!resume_from.empty() && !tr::read_run_record(*ck, saved))
      throw ModelProblem(resume_from +
                         " has no resume state (not written by intershape train); fine-tune "
                         "from it with --init instead");
  } catch (const std::runtime_error& e) {
    throw ModelProblem(e.what());
  }
  try {
    if (!ck && scratch)
      tr::init_from_scratch(*net, *internet, *resnet50, a.seed);
    else if (!ck)
      tr::load_rule_weights(*net, "");
  } catch (const std::runtime_error& e) {
    throw ModelProblem(e.what());
  }
  internet.reset();
  resnet50.reset();
  net->to_device(device);
  net->set_freeze_internet_bn(a.freeze_internet_bn);
  if (job) tr::share_initial_state(*job, *net);

  std::ostringstream dataset_log;
  tr::TrainDataset data(a.dataset, pair, a.output, dataset_log);
  if (rank0) std::cerr << dataset_log.str();
  if (data.size() == 0) throw core::eval::DatasetError(a.dataset + ": no training samples");
  if (rank0)
    std::fprintf(stderr, "intershape train: %zu samples, batch %d%s, %s\n", data.size(), a.batch,
                 job ? (" per rank x " + std::to_string(job_env.world) + " ranks (" +
                        job_env.source + " launch)")
                           .c_str()
                     : "",
                 device.str().c_str());

  tr::Trainer trainer(net, a.lr);
  trainer.set_precision(precision);
  if (job)
    trainer.set_gradient_sync([&job](const std::vector<torch::Tensor>& params, int64_t n) {
      job->average_gradients(params, n);
    });
  tr::RunRecord start = wanted_record(a, data.size(), job_env.world);
  if (job) check_same_start(*job, resume_from.empty() ? 0 : saved.step);
  if (!resume_from.empty()) {
    const std::string mismatch = tr::resume_mismatch(saved, start);
    if (!mismatch.empty())
      throw Usage("--resume: " + resume_from + " cannot be continued exactly:\n" + mismatch +
                  "resume with the same options, or train into a new --output (--init " +
                  resume_from + " to fine-tune from it)");
    try {
      tr::load_optimizer_state(*ck, trainer.optimizer());
    } catch (const std::runtime_error& e) {
      throw ModelProblem(e.what());
    }
    if (precision == tr::Precision::kFp16 && rank0)
      std::fprintf(stderr,
                   "intershape train: note: fp16's loss scale is not saved in checkpoints; it "
                   "restarts at its initial value, so this run will not be bit-identical to an "
                   "uninterrupted one\n");
    start.epoch = saved.epoch;
    start.step_in_epoch = saved.step_in_epoch;
    start.step = saved.step;
    if (rank0 && (saved.lr != a.lr || saved.lr_steps != a.lr_steps))
      std::fprintf(stderr,
                   "intershape train: note: --lr / --lr-steps differ from the resumed "
                   "run's; the new schedule applies from here on\n");
    if (rank0) tr::trim_log(a.output, start);
    if (rank0)
      std::fprintf(stderr, "intershape train: continuing at epoch %d, step %lld (%lld in all)\n",
                   start.epoch, static_cast<long long>(start.step_in_epoch),
                   static_cast<long long>(start.step));
  }
  ck.reset();

  const tr::ValidateFn validate =
      a.val_split.empty() || !rank0 ? tr::ValidateFn() : make_validator(a, pair);
  // Batches come from the loader's worker threads, built ahead while the
  // step runs, from the start position on; each sample's augmentation is
  // drawn from (seed, epoch, index), so a resumed run draws the same.
  // Each rank's share of every step (core/train/sampler.h).
  const tr::ShardSpec shard{job_env.rank, job_env.world, static_cast<size_t>(a.batch)};
  tr::RunPlan plan(data.size(), a.seed, !a.no_shuffle, shard, a.epochs, start.epoch,
                   static_cast<size_t>(start.step_in_epoch));
  tr::BatchLoader loader(
      [&plan] { return plan.next(); },
      [&data, &a](size_t i, int epoch) {
        return data.get(i, a.no_augment ? tr::AugmentParams{} : tr::draw_augment(a.seed, epoch, i));
      },
      a.workers);
  tr::LoaderBatchSource source(loader, device);
  tr::RunOptions o;
  o.output = a.output;
  o.epochs = a.epochs;
  o.max_steps = a.max_steps;
  o.checkpoint_every = a.checkpoint_every;
  o.stop = &g_stop;
  o.rank = job_env.rank;
  o.before_step = [&job_env](int64_t step) { fault_for_test_if_asked(job_env, step); };
  if (job) {
    o.agree_stop = [&job](bool mine) {  // any rank's signal stops them all at the same step
      std::vector<double> v{mine ? 1.0 : 0.0};
      job->average_values(v, 1);
      return v[0] > 0;
    };
    o.combine = [&job](tr::StepResult& r, size_t samples) {
      return global_terms(*job, r, samples);
    };
  }
  install_stop_handlers();
  const tr::RunOutcome r = tr::run_training(trainer, source, start, o, validate, std::cout);
  if (r.interrupted) {
    if (rank0)
      std::fprintf(stderr,
                   "intershape train: stopped by a signal at step %lld; continue with --resume\n",
                   static_cast<long long>(r.position.step));
    return kFailure;
  }
  return kOk;
}

}  // namespace

void add_train_command(CLI::App& app, int& exit_code) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd =
      app.add_subcommand("train",
                         "Train or fine-tune the network on an InterHand2.6M-layout dataset "
                         "(the reference's training step; README \"Train and fine-tune\")");
  cmd->add_option("--dataset", args->dataset, "Dataset folder (InterHand2.6M_5fps_batch1 layout)")
      ->required();
  cmd->add_option("--output", args->output, "Output folder: checkpoints, train_log.jsonl");
  cmd->add_option("--init", args->init, "Checkpoint to start from (fine-tuning)");
  cmd->add_option("--internet", args->internet,
                  "From scratch: InterNet's released snapshot_19.pth.tar (the heatmap network)");
  cmd->add_option("--imagenet-resnet50", args->imagenet_resnet50,
                  "From scratch: torchvision's resnet50 ImageNet state dict "
                  "(resnet50-19c8e357.pth or resnet50-0676ba61.pth; never downloaded)");
  cmd->add_flag("--synthetic", args->synthetic,
                "Start from the deterministic rule weights (tests; needs --mano)");
  cmd->add_option("--mano", args->mano,
                  "MANO folder (MANO_RIGHT.pkl, MANO_LEFT.pkl); default: the --init checkpoint's");
  cmd->add_option("--epochs", args->epochs, "Epochs (default 100)");
  cmd->add_option("--batch", args->batch, "Batch size (default 32)");
  cmd->add_option("--lr", args->lr, "Base learning rate (default 1e-4)");
  cmd->add_option("--lr-steps", args->lr_steps, "Epochs where the rate drops 10x (default 45,47)")
      ->delimiter(',');
  cmd->add_option("--seed", args->seed,
                  "Seed of the shuffle, the augmentation and the from-scratch initialisation "
                  "(default 0)");
  cmd->add_option("--device", args->device, "cpu, cuda or cuda:N (default cpu)");
  add_threads_option(*cmd, args->threads);
  cmd->add_option("--precision", args->precision,
                  "fp32 (default, the reference's), bf16 (autocast; CPU or CUDA) or fp16 "
                  "(autocast and loss scaling; CUDA only)")
      ->check(CLI::IsMember({"fp32", "bf16", "fp16"}));
  cmd->add_flag("--no-augment", args->no_augment,
                "No data augmentation (the reference's test-mode crop: reproduces its batches)");
  cmd->add_option("--workers", args->workers,
                  "Data-loader threads building the next batches during the step (default 2; "
                  "0: in the training thread)");
  cmd->add_flag("--no-shuffle", args->no_shuffle, "Batches in file order");
  cmd->add_flag("--freeze-internet-bn", args->freeze_internet_bn,
                "Keep the heatmap network's BatchNorm statistics fixed (eval mode); a deviation "
                "from the reference that fine-tuning on small data may prefer");
  cmd->add_option("--dist-timeout", args->dist_timeout,
                  "Data-parallel runs: seconds to wait for the other ranks (rendezvous and "
                  "each gradient exchange) before failing (default 300)");
  cmd->add_option("--max-steps", args->max_steps,
                  "Stop once the run has made N steps in all, resumed ones included (a checkpoint "
                  "is written when the run stops)");
  cmd->add_flag("--resume", args->resume,
                "Continue exactly from the newest snapshot_E.pth.tar in --output (weights, Adam "
                "state, schedule, data order); without one, start as --init / --synthetic say");
  cmd->add_option("--checkpoint-every", args->checkpoint_every,
                  "Also checkpoint every N steps (replaces the current epoch's snapshot)");
  cmd->add_option("--val-split", args->val_split,
                  "Validate each epoch's checkpoint on this split (val, test) of --dataset: "
                  "MPJPE / MPVPE in train_log.jsonl");
  cmd->add_option("--val-limit", args->val_limit, "Validate on the first N samples only (0: all)");
  cmd->add_option("--val-batch", args->val_batch, "Validation batch size (default 8)");
  cmd->callback([args, &exit_code] {
    try {
      exit_code = run_train(*args);
    } catch (const Usage& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kUsage;
    } catch (const ModelProblem& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kModelOrSource;
    } catch (const core::eval::DatasetError& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kModelOrSource;
    } catch (const core::net::ModelError& e) {  // validation's network
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kModelOrSource;
    } catch (const tr::LaunchEnvError& e) {
      std::fprintf(stderr, "intershape train: launcher environment: %s\n", e.what());
      exit_code = kUsage;
    } catch (const tr::DistributedError& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kFailure;
    } catch (const core::formats::ExportError& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kFailure;
    }
  });
}

}  // namespace intershape::app
