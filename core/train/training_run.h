#pragma once
// The training loop of `intershape train` (the reference's main/train.py
// loop): epochs with the step learning-rate schedule, the epoch order of
// sampler.h, one Trainer step per batch, per-step logs, checkpoints, optional
// validation at each epoch end, and resuming from a checkpoint exactly.
//
// Files in the output folder (only rank 0 writes them):
//   snapshot_E.pth.tar  epoch E's newest state (checkpoint_io.h's structure).
//     Written at E's end, and also during E every `checkpoint_every` steps and
//     when the run stops early (--max-steps, a signal); each write replaces
//     the previous one atomically, so there is one file per epoch and nothing
//     to prune, and a failed write leaves the previous file intact. Its
//     'intershape' entry says where to continue (an epoch end: (E + 1, 0)).
//     The reference's own resume (`start_epoch = ckpt['epoch'] + 1`) would
//     treat a mid-epoch file as complete; ours reads the recorded position.
//   train_log.jsonl     one JSON object per step: epoch, step (global, from
//     0), step_in_epoch, lr, the six loss terms, total, batch, seconds,
//     images_per_second, data_wait_share; and one per validated epoch:
//     {"epoch", "step", "val": {...}} with what the validation returned.
// LibTorch (through trainer.h).

#include <atomic>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/train/batch_source.h"
#include "core/train/checkpoint_io.h"
#include "core/train/trainer.h"

namespace intershape::core::train {

struct RunOptions {
  std::string output;  // existing folder
  int epochs = 100;
  int64_t max_steps = 0;         // stop once the run's total step count (resumed steps
                                 // included) reaches it; 0: no limit
  int64_t checkpoint_every = 0;  // also checkpoint every N global steps; 0: epoch ends only
  int rank = 0;                  // only rank 0 writes logs and checkpoints
  // Set asynchronously (a signal handler): the loop stops after the current
  // step and writes a checkpoint. May be null.
  const std::atomic<bool>* stop = nullptr;

  // Data-parallel hooks (core/train/distributed.h), unset for one process:
  // - agree_stop: every rank calls it before every step with its own stop
  //   request and all must get the same answer (e.g. any rank's request), so
  //   that a signal reaching the ranks at different times stops them at one
  //   step;
  // - combine: after a step, turns this rank's logged terms into the job's
  //   and returns the job's batch size (given this rank's);
  // - before_step: called with the global step before it runs (a test hook).
  std::function<bool(bool)> agree_stop;
  std::function<size_t(StepResult&, size_t)> combine;
  std::function<void(int64_t)> before_step;
};

// Runs after an epoch's checkpoint is written, on rank 0: evaluates it and
// returns the figures to log (e.g. {"split", "mpjpe", "mpvpe", ...}). Throwing
// aborts the run (the checkpoint is already on disk).
using ValidateFn = std::function<nlohmann::json(const std::string& checkpoint, int epoch)>;

struct RunOutcome {
  RunRecord position;           // where the run stands now
  bool interrupted = false;     // stopped by RunOptions::stop
  std::string last_checkpoint;  // "" when none was written
};

// Trains from `start` (its epoch / step_in_epoch / step; its seed, batch,
// world, shuffle, augment, lr and lr_steps say how) until `epochs` or a stop.
// Batches from `source`, which must deliver them from `start` on. Progress lines go to `out`.
// Throws core::formats::ExportError (a checkpoint or the log cannot be
// written; files already written stay valid), what the source or the
// validation throws.
RunOutcome run_training(Trainer& trainer, BatchSource& source, const RunRecord& start,
                        const RunOptions& options, const ValidateFn& validate, std::ostream& out);

// snapshot_E.pth.tar for the largest E in `dir`; "" when there is none.
std::string newest_checkpoint(const std::string& dir);

// Drops the records of train_log.jsonl (in `dir`) that lie at or after
// `position` (steps >= position.step; validations of epochs >= position.epoch),
// so that a resumed run's log reads as one uninterrupted run. The file is
// rewritten atomically; lines that are not JSON objects are kept.
void trim_log(const std::string& dir, const RunRecord& position);

}  // namespace intershape::core::train
