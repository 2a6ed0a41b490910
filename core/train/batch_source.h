#pragma once
// Where the training loop's batches come from (core/train/training_run.h).
// The loop decides which samples each step trains on (sampler.h, a pure
// function of seed and epoch) and hands an epoch's list of batches to a
// BatchSource, which turns them into tensors; a source may work ahead of the
// loop (data-loader workers) since the whole list is known up front.
// LibTorch.

#include <cstddef>
#include <vector>

#include <torch/torch.h>

#include "core/train/dataset.h"
#include "core/train/loss.h"

namespace intershape::core::train {

// One batch on the training device: img [B, 3, 256, 256] RGB in [0, 1], and
// its targets (loss.h's layouts).
struct Batch {
  torch::Tensor img;
  Targets targets;
  size_t size = 0;
};

// Stacks host examples into a batch on `device`.
Batch make_batch(const std::vector<TrainExample>& examples, torch::Device device);

class BatchSource {
 public:
  virtual ~BatchSource() = default;
  // The batches (dataset indices) that the following next() calls return, in
  // order: the rest of `epoch` from the step the loop starts at (0, or the
  // resumed position). Replaces whatever was pending.
  virtual void start_epoch(int epoch, std::vector<std::vector<size_t>> batches) = 0;
  // The next batch of the list. Throws core::eval::DatasetError (unreadable
  // image) or std::logic_error when the list is exhausted.
  virtual Batch next() = 0;
};

// Decodes each batch on the calling thread when asked, without augmentation
// (the fixture's --no-augment batches).
class SimpleBatchSource : public BatchSource {
 public:
  // `data` must outlive the source.
  SimpleBatchSource(const TrainDataset& data, torch::Device device) : data_(data), device_(device) {}
  void start_epoch(int epoch, std::vector<std::vector<size_t>> batches) override;
  Batch next() override;

 private:
  const TrainDataset& data_;
  torch::Device device_;
  std::vector<std::vector<size_t>> pending_;
  size_t next_ = 0;
};

}  // namespace intershape::core::train
