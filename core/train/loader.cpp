#include "core/train/loader.h"

#include <algorithm>
#include <stdexcept>

namespace intershape::core::train {

RunPlan::RunPlan(size_t n, uint64_t seed, bool shuffle, const ShardSpec& shard, int epochs,
                 int first_epoch, size_t first_step)
    : n_(n),
      seed_(seed),
      shuffle_(shuffle),
      shard_(shard),
      epochs_(epochs),
      epoch_(first_epoch),
      step_(first_step),
      steps_(0) {}

std::optional<BatchSpec> RunPlan::next() {
  while (epoch_ < epochs_) {
    if (steps_ == 0) {  // entering an epoch
      order_ = epoch_order(n_, seed_, epoch_, shuffle_);
      steps_ = steps_per_epoch(n_, shard_);
    }
    if (step_ < steps_) {
      BatchSpec spec{epoch_, step_, rank_batch(order_, step_, shard_)};
      ++step_;
      return spec;
    }
    ++epoch_;
    step_ = 0;
    steps_ = 0;
  }
  return std::nullopt;
}

struct BatchLoader::Job {
  std::shared_ptr<HostBatch> batch;
  size_t handed = 0;    // samples given to a worker
  size_t finished = 0;  // samples built or failed
  std::exception_ptr error;
  bool done() const { return finished == batch->size() || error; }
};

BatchLoader::BatchLoader(NextSpec next_spec, MakeSample make_sample, int workers, size_t prefetch)
    : next_spec_(std::move(next_spec)),
      make_sample_(std::move(make_sample)),
      prefetch_(std::max<size_t>(prefetch, 1)) {
  if (workers <= 0) return;
  top_up(prefetch_);  // before the threads exist: an exception here leaves nothing to join
  try {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_loop(); });
  } catch (...) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (std::thread& t : threads_) t.join();
    throw;
  }
}

BatchLoader::~BatchLoader() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  work_cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void BatchLoader::top_up(size_t target) {
  // The plan and the allocations run outside the lock, so the workers keep
  // going meanwhile; only this (the consumer's) thread adds jobs.
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (plan_done_ || jobs_.size() >= target) return;
    }
    std::optional<BatchSpec> spec = next_spec_();
    if (!spec) {
      plan_done_ = true;
      return;
    }
    auto job = std::make_shared<Job>();
    job->batch = std::make_shared<HostBatch>();
    HostBatch& b = *job->batch;
    b.epoch = spec->epoch;
    b.step = spec->step;
    b.samples = std::move(spec->samples);
    const size_t n = b.size();
    b.img.reset(new float[std::max<size_t>(n, 1) * HostBatch::kImageFloats]);
    b.joint_coord.resize(n * 42 * 3);
    b.hand_type.resize(n * 2);
    b.shape_param.resize(n * 20);
    b.joint_valid.resize(n * 42);
    b.mano_valid.resize(n * 2);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      jobs_.push_back(std::move(job));
    }
    work_cv_.notify_all();
  }
}

void BatchLoader::build_sample(Job& job, size_t pos, const MakeSample& make) {
  HostBatch& b = *job.batch;
  const TrainExample ex = make(b.samples[pos], b.epoch);
  if (ex.img.size() != HostBatch::kImageFloats)
    throw std::logic_error("data loader: a sample's image is not [3, 256, 256]");
  std::copy(ex.img.begin(), ex.img.end(), b.img.get() + pos * HostBatch::kImageFloats);
  std::copy(ex.joint_coord.begin(), ex.joint_coord.end(), b.joint_coord.begin() + pos * 126);
  std::copy(ex.hand_type.begin(), ex.hand_type.end(), b.hand_type.begin() + pos * 2);
  std::copy(ex.shape_param.begin(), ex.shape_param.end(), b.shape_param.begin() + pos * 20);
  std::copy(ex.joint_valid.begin(), ex.joint_valid.end(), b.joint_valid.begin() + pos * 42);
  std::copy(ex.mano_valid.begin(), ex.mano_valid.end(), b.mano_valid.begin() + pos * 2);
}

void BatchLoader::worker_loop() {
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    // The earliest unfinished batch first, so the one the trainer waits for
    // completes soonest. A failed batch gets no more work.
    std::shared_ptr<Job> job;
    size_t pos = 0;
    while (!stop_ && !job) {
      for (const std::shared_ptr<Job>& j : jobs_)
        if (!j->error && j->handed < j->batch->size()) {
          job = j;
          pos = j->handed++;
          break;
        }
      if (!job) work_cv_.wait(lock);
    }
    if (stop_) return;
    lock.unlock();
    std::exception_ptr error;
    try {
      build_sample(*job, pos, make_sample_);
    } catch (...) {
      error = std::current_exception();
    }
    lock.lock();
    if (error && !job->error) job->error = error;
    ++job->finished;
    if (job->done()) done_cv_.notify_all();
  }
}

std::shared_ptr<HostBatch> BatchLoader::next() {
  const bool threaded = !threads_.empty();
  top_up(threaded ? prefetch_ + 1 : 1);
  std::shared_ptr<Job> job;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (jobs_.empty()) return nullptr;
    job = jobs_.front();
    if (threaded) done_cv_.wait(lock, [&job] { return job->done(); });
    jobs_.pop_front();
  }
  if (!threaded)
    for (size_t pos = 0; pos < job->batch->size(); ++pos) build_sample(*job, pos, make_sample_);
  if (job->error) std::rethrow_exception(job->error);
  return job->batch;
}

}  // namespace intershape::core::train
