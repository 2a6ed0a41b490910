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
// 'network'. Our own reader (core/formats/checkpoint.h) loads 'network'.

#include <string>

#include "core/train/trainer.h"

namespace intershape::core::train {

// Throws core::formats::ExportError naming the path.
void save_checkpoint(const std::string& path, TwoHandNetImpl& net, const Adam& adam, int epoch);

}  // namespace intershape::core::train
