#pragma once
// Where the training loop's batches come from (core/train/training_run.h):
// the loop asks for (epoch, step) in order, from the run's start position on,
// and checks that what it gets is that batch. The data loader
// (core/train/loader.h: worker threads, augmentation, its own RunPlan from
// the same sampler functions) is adapted by LoaderBatchSource. LibTorch.

#include <cstddef>
#include <memory>

#include <torch/torch.h>

#include "core/train/loader.h"
#include "core/train/loss.h"

namespace intershape::core::train {

// One batch on the training device: img [B, 3, 256, 256] RGB in [0, 1], and
// its targets (loss.h's layouts).
struct Batch {
  torch::Tensor img;
  Targets targets;
  size_t size = 0;
};

// A loader batch as tensors on `device`. On the CPU the tensors alias the
// host arrays, which the deleters keep alive (no copy).
Batch to_device(const std::shared_ptr<HostBatch>& host, torch::Device device);

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The batch of `step` in `epoch`. Throws std::logic_error when the source
  // is out of step with the loop, and what building the batch throws
  // (core::eval::DatasetError for an unreadable image).
  virtual Batch next(int epoch, size_t step) = 0;
};

class LoaderBatchSource : public BatchSource {
 public:
  // `loader` (whose plan starts where the loop starts) must outlive this.
  LoaderBatchSource(BatchLoader& loader, torch::Device device) : loader_(loader), device_(device) {}
  Batch next(int epoch, size_t step) override;

 private:
  BatchLoader& loader_;
  torch::Device device_;
};

}  // namespace intershape::core::train
