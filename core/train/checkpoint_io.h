#pragma once
// Training checkpoints in the reference's structure, written as torch.save
// would (zip format, atomically):
//   {'epoch': int,
//    'network': OrderedDict('module.<key>' -> tensor), 602 entries in the released order,
//    'optimizer': {'state': {i: {'step': tensor(float), 'exp_avg', 'exp_avg_sq'}},
//                  'param_groups': [{'lr', 'betas', 'eps', 'weight_decay', 'amsgrad',
//                                    'maximize', 'foreach', 'capturable', 'differentiable',
//                                    'fused', 'params': [0..196]}]}}
// i indexes mesh_reg.parameters() as PyTorch's Adam.state_dict() does, so the
// reference's train.py can resume from it and model.load_state_dict() takes
// 'network'. Our own reader (core/formats/checkpoint.h) loads 'network' and
// exposes the rest as extras.
//
// `intershape train` adds one top-level key that the reference ignores,
//   'intershape': {'format': 1, 'epoch': E, 'step_in_epoch': S, 'step': N,
//                  'seed': str, 'batch', 'world', 'shuffle', 'augment',
//                  'dataset_size', 'lr', 'lr_steps': [...]}
// where (E, S) is the position to continue from (S steps of epoch E done; an
// epoch's end is recorded as (E + 1, 0)) and N the steps done in all: what
// --resume needs beyond the weights and Adam's state.

#include <cstdint>
#include <string>
#include <vector>

#include "core/formats/checkpoint.h"
#include "core/train/trainer.h"

namespace intershape::core::train {

// Where a run stands and the options that fix its data order.
struct RunRecord {
  int epoch = 0;              // the epoch to continue
  int64_t step_in_epoch = 0;  // steps of it already done
  int64_t step = 0;           // steps done in all
  uint64_t seed = 0;
  int64_t batch = 0;  // per rank
  int64_t world = 1;
  bool shuffle = true;
  bool augment = false;
  int64_t dataset_size = 0;
  double lr = 0;  // base rate and decay epochs (informational: may change on resume)
  std::vector<int> lr_steps;
};

// `epoch` is the checkpoint's reference 'epoch' entry; `record` (optional)
// becomes its 'intershape' entry. Throws core::formats::ExportError naming
// the path; an existing file at `path` is kept when writing fails.
void save_checkpoint(const std::string& path, TwoHandNetImpl& net, const Adam& adam, int epoch,
                     const RunRecord* record = nullptr);

// Reads the 'intershape' entry; false when the checkpoint has none (not
// written by `intershape train`). Throws std::runtime_error naming the file
// when the entry is there but malformed.
bool read_run_record(const core::formats::Checkpoint& ck, RunRecord& record);

// Restores Adam's per-parameter state (step, exp_avg, exp_avg_sq) from the
// checkpoint's 'optimizer' entry into `adam`, whose parameters must be the
// ones it was saved from (same count and shapes; checked). Parameters without
// state stay without. Throws std::runtime_error naming the file.
void load_optimizer_state(const core::formats::Checkpoint& ck, Adam& adam);

// Differences that make `saved`'s data order differ from `wanted`'s (seed,
// batch, world, shuffle, augment, dataset size), one per line; empty when a
// resume can continue exactly.
std::string resume_mismatch(const RunRecord& saved, const RunRecord& wanted);

}  // namespace intershape::core::train
