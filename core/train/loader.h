#pragma once
// The training data loader: worker threads build the next batches (decode,
// crop, augment) while the trainer runs its step, and hand them over in plan
// order. What a batch holds depends only on the plan and the sample function,
// never on the number of workers or on which worker built which sample, so
// 0, 1 or N workers give identical batches. No LibTorch.
//
// Threads: one consumer (the trainer) calls next() and owns the plan; the
// workers only call the sample function. Shutdown: the destructor asks the
// workers to stop and joins them; a worker finishes at most the one sample it
// is building, so an early stop or an exception in the trainer never hangs.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/train/dataset.h"
#include "core/train/sampler.h"

namespace intershape::core::train {

// One batch to build: the samples (dataset indices) of `step` in `epoch`.
// A rank's share of a short last batch may be empty.
struct BatchSpec {
  int epoch = 0;
  size_t step = 0;
  std::vector<size_t> samples;
};

// A built batch, host float32 arrays in the layouts of core/train/loss.h's
// Targets, samples in spec order.
struct HostBatch {
  int epoch = 0;
  size_t step = 0;
  std::vector<size_t> samples;
  std::unique_ptr<float[]> img;    // [B, 3, 256, 256] RGB in [0, 1] (allocated, not zeroed)
  std::vector<float> joint_coord;  // [B, 42, 3] camera mm
  std::vector<float> hand_type;    // [B, 2]
  std::vector<float> shape_param;  // [B, 20]
  std::vector<float> joint_valid;  // [B, 42]
  std::vector<float> mano_valid;   // [B, 2]
  size_t size() const { return samples.size(); }
  static constexpr size_t kImageFloats = 3 * 256 * 256;
};

// The run's batches for one rank, in order: every epoch from first_epoch to
// epochs - 1, its order from epoch_order(n, seed, epoch, shuffle) and each
// step's samples from rank_batch (core/train/sampler.h); the first epoch
// starts at first_step (a resumed run).
class RunPlan {
 public:
  RunPlan(size_t n, uint64_t seed, bool shuffle, const ShardSpec& shard, int epochs,
          int first_epoch = 0, size_t first_step = 0);
  std::optional<BatchSpec> next();  // nullopt after the last batch

 private:
  size_t n_;
  uint64_t seed_;
  bool shuffle_;
  ShardSpec shard_;
  int epochs_, epoch_;
  size_t step_, steps_;
  std::vector<size_t> order_;
};

class BatchLoader {
 public:
  // The next batch to build, or nullopt at the end; called on the consumer's
  // thread only, in order.
  using NextSpec = std::function<std::optional<BatchSpec>()>;
  // Builds dataset sample `index` for `epoch`; called concurrently from the
  // worker threads (or from next() with no workers). Its exceptions reach
  // the consumer from next(), for the batch that holds the sample.
  using MakeSample = std::function<TrainExample(size_t index, int epoch)>;

  // workers = 0: next() builds each batch itself, nothing runs ahead.
  // Otherwise `prefetch` batches (at least 1) are built ahead of the one
  // being consumed; workers share the samples of the earliest batch first.
  BatchLoader(NextSpec next_spec, MakeSample make_sample, int workers, size_t prefetch = 2);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  // The next batch in plan order, null after the last one. Rethrows the
  // first exception thrown while building one of its samples.
  std::shared_ptr<HostBatch> next();

 private:
  struct Job;
  void top_up(size_t target);
  void worker_loop();
  static void build_sample(Job& job, size_t pos, const MakeSample& make);

  NextSpec next_spec_;
  MakeSample make_sample_;
  size_t prefetch_;
  bool plan_done_ = false;
  std::mutex mutex_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<std::shared_ptr<Job>> jobs_;  // plan order; front is delivered next
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace intershape::core::train
