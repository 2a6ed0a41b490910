// `intershape train`: the reference's training (main/train.py) on an
// InterHand2.6M-layout dataset: train-mode network (core/train), six-term
// loss over four stages, Adam over the mesh regressor, the step LR schedule,
// checkpoints in the reference's torch.save structure, per-step logs on
// stdout and in OUTPUT/train_log.jsonl.
// Exit status: 0 done, 1 failure (cannot write, ...), 2 usage, 3 model or
// dataset error.
//
// The reference's augmentation is on unless --no-augment (core/train/augment.h);
// --workers threads build the batches ahead (core/train/loader.h).
// Data parallel across processes when a launcher sets RANK / WORLD_SIZE (or
// Slurm's variables): app/train_distributed.h, core/train/distributed.h.
// Weights: --init CHECKPOINT (fine-tuning), --internet FILE
// --imagenet-resnet50 FILE (from scratch, core/train/scratch_init.h) or
// --synthetic (rule weights, tests). --precision: core/train/precision.h.
// Not yet: --resume.

#include <algorithm>
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
#include "app/train_distributed.h"
#include "core/eval/interhand.h"
#include "core/formats/atomic_file.h"
#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/train/augment.h"
#include "core/train/checkpoint_io.h"
#include "core/train/dataset.h"
#include "core/train/loader.h"
#include "core/train/model.h"
#include "core/train/precision.h"
#include "core/train/sampler.h"
#include "core/train/schedule.h"
#include "core/train/scratch_init.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"

namespace intershape::app {
namespace {

namespace tr = core::train;
using Clock = std::chrono::steady_clock;

struct TrainArgs {
  std::string dataset, output = "train_out", init, mano, device = "cpu";
  std::string internet, imagenet_resnet50;  // from scratch
  std::string precision = "fp32";
  bool synthetic = false, no_augment = false, no_shuffle = false, freeze_internet_bn = false;
  int epochs = 100, batch = 32, threads = 0, workers = 2;
  int64_t max_steps = 0;
  uint64_t seed = 0;
  double lr = 1e-4;
  double dist_timeout = 300;  // seconds
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

// A loader batch as tensors on `device`. On the CPU the tensors alias the
// host arrays, which the deleters keep alive (no copy).
struct Batch {
  torch::Tensor img;
  tr::Targets targets;
};
Batch to_device(const std::shared_ptr<tr::HostBatch>& hb, torch::Device device) {
  const int64_t b = static_cast<int64_t>(hb->size());
  auto wrap = [&](float* data, std::vector<int64_t> shape) {
    shape.insert(shape.begin(), b);
    const auto keep_alive = [hb](void*) {};
    return torch::from_blob(data, shape, keep_alive, torch::kFloat32).to(device);
  };
  Batch out;
  out.img = wrap(hb->img.get(), {3, 256, 256});
  out.targets.joint_coord = wrap(hb->joint_coord.data(), {42, 3});
  out.targets.hand_type = wrap(hb->hand_type.data(), {2});
  out.targets.shape_param = wrap(hb->shape_param.data(), {20});
  out.targets.joint_valid = wrap(hb->joint_valid.data(), {42});
  out.targets.mano_valid = wrap(hb->mano_valid.data(), {2});
  return out;
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

int run_train(const TrainArgs& a) {
  const bool scratch = !a.internet.empty() || !a.imagenet_resnet50.empty();
  if (int{!a.init.empty()} + int{scratch} + int{a.synthetic} != 1)
    throw Usage(
        "give exactly one of --init CHECKPOINT (fine-tune), --internet FILE --imagenet-resnet50 "
        "FILE (from scratch) or --synthetic (rule weights, tests)");
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

  // Weights and MANO.
  std::unique_ptr<core::formats::Checkpoint> ck, internet, resnet50;
  mano::ManoPair pair;
  try {
    if (scratch) {
      internet = core::formats::Checkpoint::open(a.internet);
      resnet50 = core::formats::Checkpoint::open(a.imagenet_resnet50);
    }
    if (!a.init.empty()) {
      ck = core::formats::Checkpoint::open(a.init);
      std::vector<core::net::FoundTensor> found;
      for (const auto& t : ck->tensors()) found.push_back({t.key, t.shape, t.dtype});
      const std::string problems = core::net::check_state_dict(found, a.mano.empty());
      if (!problems.empty()) throw ModelProblem(a.init + ": " + problems);
    }
    pair = a.mano.empty() ? mano_from_checkpoint(*ck) : mano::load_mano_dir(a.mano);
  } catch (const core::formats::CheckpointError& e) {
    throw ModelProblem(e.what());
  } catch (const mano::ManoError& e) {
    throw ModelProblem(std::string("MANO model: ") + e.what());
  }
  tr::TwoHandNet net(pair);
  try {
    if (ck)
      tr::load_checkpoint_weights(*net, *ck);
    else if (scratch)
      tr::init_from_scratch(*net, *internet, *resnet50, a.seed);
    else
      tr::load_rule_weights(*net, "");
  } catch (const std::runtime_error& e) {
    throw ModelProblem(e.what());
  }
  ck.reset();
  internet.reset();
  resnet50.reset();
  net->to_device(device);
  net->set_freeze_internet_bn(a.freeze_internet_bn);
  if (job) tr::share_initial_state(*job, *net);

  core::formats::ensure_directory(a.output);
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
  // Only rank 0 writes the log and the checkpoints.
  std::ofstream log;
  if (rank0) log.open(a.output + "/train_log.jsonl", std::ios::app);
  if (rank0 && !log)
    throw core::formats::ExportError("cannot write " + a.output + "/train_log.jsonl");

  // Batches come from the loader's worker threads, built ahead while the
  // step runs; each sample's augmentation is drawn from (seed, epoch, index).
  // Each rank's share of every step (core/train/sampler.h).
  const tr::ShardSpec shard{job_env.rank, job_env.world, static_cast<size_t>(a.batch)};
  tr::RunPlan plan(data.size(), a.seed, !a.no_shuffle, shard, a.epochs);
  tr::BatchLoader loader(
      [&plan] { return plan.next(); },
      [&data, &a](size_t i, int epoch) {
        return data.get(i, a.no_augment ? tr::AugmentParams{} : tr::draw_augment(a.seed, epoch, i));
      },
      a.workers);

  int64_t step = 0;
  bool stop = false;
  for (int epoch = 0; epoch < a.epochs && !stop; ++epoch) {
    trainer.set_lr(tr::lr_at_epoch(epoch, a.lr, a.lr_steps));
    const size_t steps = tr::steps_per_epoch(data.size(), shard);
    for (size_t s = 0; s < steps && !stop; ++s) {
      const auto t0 = Clock::now();
      const std::shared_ptr<tr::HostBatch> host = loader.next();
      if (!host || host->epoch != epoch || host->step != s)
        throw std::logic_error("data loader out of step with the training loop");
      fault_for_test_if_asked(job_env, step);
      // A short last batch may leave a rank without samples: it still joins the sync.
      const bool empty = host->size() == 0;
      const Batch batch = empty ? Batch{} : to_device(host, device);
      const auto t1 = Clock::now();
      tr::StepResult r =
          empty ? trainer.step_without_samples() : trainer.step(batch.img, batch.targets);
      size_t batch_size = host->size();
      if (job) batch_size = global_terms(*job, r, host->size());
      const auto t2 = Clock::now();
      if (!rank0) {
        ++step;
        if (a.max_steps > 0 && step >= a.max_steps) stop = true;
        continue;
      }
      const double data_s = std::chrono::duration<double>(t1 - t0).count();
      const double step_s = std::chrono::duration<double>(t2 - t0).count();
      nlohmann::json j;
      j["epoch"] = epoch;
      j["step"] = step;
      j["lr"] = trainer.lr();
      for (size_t i = 0; i < 6; ++i) j[tr::kLossNames[i]] = r.terms[i];
      j["total"] = r.total;
      j["batch"] = batch_size;
      j["seconds"] = step_s;
      j["data_wait_share"] = data_s / step_s;
      if (trainer.loss_scaler()) {  // fp16: the scale used, and whether Adam skipped the step
        j["loss_scale"] = r.loss_scale;
        j["step_skipped"] = !r.stepped;
      }
      log << j.dump() << "\n" << std::flush;
      std::printf(
          "epoch %d step %lld lr %.1e total %.4f (offset %.4f consis %.4f joint %.4f bone "
          "%.4f shape %.4f reg %.4f) %.2f s, data %.0f%%\n",
          epoch, static_cast<long long>(step), trainer.lr(), r.total, r.terms[0], r.terms[1],
          r.terms[2], r.terms[3], r.terms[4], r.terms[5], step_s, 100 * data_s / step_s);
      std::fflush(stdout);
      ++step;
      if (a.max_steps > 0 && step >= a.max_steps) stop = true;
    }
    if (!rank0) continue;
    const std::string path = a.output + "/snapshot_" + std::to_string(epoch) + ".pth.tar";
    tr::save_checkpoint(path, *net, trainer.optimizer(), epoch);
    std::fprintf(stderr, "intershape train: wrote %s\n", path.c_str());
  }
  return 0;
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
  cmd->add_option("--threads", args->threads, "CPU threads (0: LibTorch's default)");
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
                  "Stop after N steps (a checkpoint is written when the run stops)");
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
    } catch (const core::formats::ExportError& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kFailure;
    } catch (const tr::LaunchEnvError& e) {
      std::fprintf(stderr, "intershape train: launcher environment: %s\n", e.what());
      exit_code = kUsage;
    } catch (const tr::DistributedError& e) {
      std::fprintf(stderr, "intershape train: %s\n", e.what());
      exit_code = kFailure;
    }
  });
}

}  // namespace intershape::app
