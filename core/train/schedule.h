#pragma once
// The reference's learning-rate schedule (InterHand2.6M's set_lr): the base
// rate divided by `factor` once for every decay epoch that has been reached.
// No LibTorch.

#include <vector>

namespace intershape::core::train {

// lr(epoch) = base / factor^k, k = number of entries of `decay_epochs` (ascending)
// that are <= epoch. The reference: base 1e-4, decay at 45 and 47, factor 10.
double lr_at_epoch(int epoch, double base_lr, const std::vector<int>& decay_epochs,
                   double factor = 10.0);

}  // namespace intershape::core::train
