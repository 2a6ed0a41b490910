#pragma once
// `intershape bench --train`: times the training step (forward in train mode,
// the six-term loss, backward, Adam over the mesh regressor: core/train's
// Trainer::step) on a synthetic batch of the real shapes ([B, 3, 256, 256]
// images, the dataset's targets), so it needs no dataset and no licensed
// weights (--synthetic rule weights with --mano; --checkpoint also works).
// Only in the full build (core/train needs core). No LibTorch in this header.

#include "core/net/network_config.h"

namespace intershape::app {

struct TrainBenchOptions {
  core::net::NetworkConfig model;  // checkpoint or synthetic, mano, device, threads
  std::string precision = "fp32";  // fp32 | bf16 | fp16 (core/train/precision.h)
  int batch = 1, iterations = 5, warmup = 1;
  bool json = false;
};

// Prints best / median milliseconds per step and samples per second. Throws
// UsageError (bad combination), core::net::ModelError (weights, device).
int run_train_bench(const TrainBenchOptions& options);

}  // namespace intershape::app
