#include "core/train/schedule.h"

#include <cmath>

namespace intershape::core::train {

double lr_at_epoch(int epoch, double base_lr, const std::vector<int>& decay_epochs, double factor) {
  int k = 0;
  for (int e : decay_epochs)
    if (epoch >= e) ++k;
  // base / factor**k, as Python computes it (one division by an exact power).
  return k == 0 ? base_lr : base_lr / std::pow(factor, k);
}

}  // namespace intershape::core::train
