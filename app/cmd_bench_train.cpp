// `intershape bench --train` (app/bench_train.h).

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "app/bench_train.h"
#include "app/exit_codes.h"
#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/net/device.h"
#include "core/train/precision.h"
#include "core/train/trainer.h"
#include "mano/mano_model.h"

namespace intershape::app {
namespace {

namespace tr = core::train;
using core::net::ModelError;

// The network with its weights, on the CPU (moved by the caller).
tr::TwoHandNet load_network(const core::net::NetworkConfig& c) {
  if (c.synthetic) {
    mano::ManoPair pair;
    try {
      pair = mano::load_mano_dir(c.mano_dir);
    } catch (const mano::ManoError& e) {
      throw ModelError(std::string("MANO model: ") + e.what());
    }
    tr::TwoHandNet net(pair);
    tr::load_rule_weights(*net, c.synthetic_salt);
    return net;
  }
  try {
    auto ck = core::formats::Checkpoint::open(c.checkpoint);
    std::vector<core::net::FoundTensor> found;
    for (const auto& t : ck->tensors()) found.push_back({t.key, t.shape, t.dtype});
    const std::string problems = core::net::check_state_dict(found, c.mano_dir.empty());
    if (!problems.empty()) throw ModelError(c.checkpoint + ": " + problems);
    mano::ManoPair pair;
    if (c.mano_dir.empty()) {
      const auto lookup = core::formats::state_dict_lookup(*ck);
      pair.right = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.r.", false, ck->path());
      pair.left = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.l.", true, ck->path());
    } else {
      pair = mano::load_mano_dir(c.mano_dir);
    }
    tr::TwoHandNet net(pair);
    tr::load_checkpoint_weights(*net, *ck);
    return net;
  } catch (const core::formats::CheckpointError& e) {
    throw ModelError(e.what());
  } catch (const mano::ManoError& e) {
    throw ModelError(std::string("MANO model: ") + e.what());
  } catch (const std::runtime_error& e) {
    // load_checkpoint_weights: missing or misshapen keys, named.
    if (dynamic_cast<const ModelError*>(&e)) throw;
    throw ModelError(e.what());
  }
}

// A batch of the dataset's shapes with fixed pseudo-random content: images in
// [0, 1]; both hands present and valid; joints scattered 30 mm around a point
// 60 cm in front of the camera; mean-shape betas.
struct SyntheticBatch {
  torch::Tensor img;
  tr::Targets targets;
};
SyntheticBatch synthetic_batch(int64_t b, const torch::Device& device) {
  at::Generator gen = at::detail::createCPUGenerator(23);
  SyntheticBatch s;
  s.img = torch::rand({b, 3, 256, 256}, gen).to(device);
  torch::Tensor joints = torch::randn({b, 42, 3}, gen) * 30;
  joints.select(2, 2).add_(600);
  s.targets.joint_coord = joints.to(device);
  s.targets.hand_type = torch::ones({b, 2}).to(device);
  s.targets.shape_param = torch::zeros({b, 20}).to(device);
  s.targets.joint_valid = torch::ones({b, 42}).to(device);
  s.targets.mano_valid = torch::ones({b, 2}).to(device);
  return s;
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

}  // namespace

int run_train_bench(const TrainBenchOptions& o) {
  const core::net::NetworkConfig& c = o.model;
  if (c.synthetic == !c.checkpoint.empty())
    throw UsageError("bench --train: give exactly one of --checkpoint FILE or --synthetic");
  if (c.synthetic && c.mano_dir.empty())
    throw UsageError("bench --train --synthetic needs --mano DIR (in a source tree: tests/data/mano)");
  if (o.batch < 1 || o.iterations < 1 || o.warmup < 0)
    throw UsageError("bench --train: --batch and --iterations must be >= 1, --warmup >= 0");

  const core::net::DeviceChoice choice = core::net::resolve_device(c.device);  // ModelError
  const torch::Device device = choice.cuda
                                   ? torch::Device(torch::kCUDA, static_cast<int8_t>(choice.index))
                                   : torch::Device(torch::kCPU);
  tr::Precision precision = tr::Precision::kFp32;
  try {
    precision = tr::parse_precision(o.precision);
    tr::check_precision(precision, device);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("bench --train: ") + e.what());
  }
  // 0 = all cores, as the forward bench.
  const int threads = c.threads > 0 ? c.threads
                                    : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);

  tr::TwoHandNet net = load_network(c);
  net->to_device(device);
  tr::Trainer trainer(net, 1e-4);
  trainer.set_precision(precision);
  const SyntheticBatch batch = synthetic_batch(o.batch, device);

  for (int i = 0; i < o.warmup; ++i) trainer.step(batch.img, batch.targets);
  // Wall time per step, and the process's CPU time per step (all threads):
  // on a shared machine the wall time depends on the neighbours, the CPU
  // time much less.
  std::vector<double> ms, cpu_ms;
  double last_total = 0;
  for (int i = 0; i < o.iterations; ++i) {
    const std::clock_t c0 = std::clock();
    const auto t0 = std::chrono::steady_clock::now();
    // step() reads the losses back (item()), so a CUDA step has finished here.
    const tr::StepResult r = trainer.step(batch.img, batch.targets);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    cpu_ms.push_back(1000.0 * static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC);
    last_total = r.total;
  }
  auto median_of = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
  };
  const double best = *std::min_element(ms.begin(), ms.end());
  const double median = median_of(ms);
  const double cpu_median = median_of(cpu_ms);

  if (o.json) {
    nlohmann::json j;
    j["mode"] = "train";
    j["device"] = device.str();
    j["precision"] = tr::precision_name(precision);
    j["threads"] = device.is_cpu() ? threads : 0;
    j["batch"] = o.batch;
    j["iterations"] = o.iterations;
    j["warmup"] = o.warmup;
    j["step_ms"] = ms;
    j["step_ms_best"] = best;
    j["step_ms_median"] = median;
    j["step_cpu_ms"] = cpu_ms;
    j["step_cpu_ms_median"] = cpu_median;
    j["samples_per_s_median"] = 1000.0 * o.batch / median;
    j["samples_per_s_best"] = 1000.0 * o.batch / best;
    j["last_loss_total"] = last_total;
    j["peak_rss_mb"] = peak_rss_mb();
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("training step (forward, loss, backward, Adam): batch %d on %s, %s", o.batch,
                device.str().c_str(), tr::precision_name(precision));
    if (device.is_cpu()) std::printf(", %d thread(s)", threads);
    std::printf("; %d step(s) after %d warm-up\n", o.iterations, o.warmup);
    std::printf("ms per step: best %.1f, median %.1f (CPU time, all threads: median %.1f)\n",
                best, median, cpu_median);
    std::printf("samples/s:   best %.2f, median %.2f\n", 1000.0 * o.batch / best,
                1000.0 * o.batch / median);
    std::printf("last loss %.4f; peak RSS %.0f MB\n", last_total, peak_rss_mb());
  }
  return 0;
}

}  // namespace intershape::app
