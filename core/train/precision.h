#pragma once
// Mixed-precision training (`--precision fp32|bf16|fp16`), as PyTorch's AMP
// does it: the network's forward runs under autocast (convolutions and
// matrix products in the lower precision, weights and their gradients stay
// float32), the MANO layers, the cascade's registration fit and the loss in
// float32; fp16 also scales the loss (LossScaler, torch.cuda.amp.GradScaler's
// algorithm with its defaults) so that small gradients do not flush to zero.
// fp32 runs no autocast at all: the path is bit-identical to one without
// these classes.
//
// Autocast is LibTorch's own (at::autocast, thread-local: every thread that
// runs a forward must open its own region). Only calls present in LibTorch
// 1.13 and 2.x are used (precision.cpp picks the 2.4+ names where the old
// ones are deprecated). LibTorch.

#include <string>
#include <vector>

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <torch/torch.h>

namespace intershape::core::train {

enum class Precision { kFp32, kBf16, kFp16 };

// "fp32" | "bf16" | "fp16"; throws std::invalid_argument otherwise.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision p);

// Throws std::invalid_argument, in words a user can act on, when `p` cannot
// run on `device`: fp16 on the CPU (LibTorch has no half-precision CPU
// convolutions), a device type autocast does not cover.
void check_precision(Precision p, const torch::Device& device);

// Autocast on for `device`'s type with `p`'s dtype while alive (nothing for
// fp32). Restores the previous state; leaving the outermost region clears
// autocast's cache of cast weights, as torch.autocast's __exit__ does.
class AutocastRegion {
 public:
  AutocastRegion(Precision p, const torch::Device& device);
  ~AutocastRegion();
  AutocastRegion(const AutocastRegion&) = delete;
  AutocastRegion& operator=(const AutocastRegion&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

// Autocast off while alive (torch.autocast(enabled=False)): what runs inside
// sees its inputs' dtypes, so callers cast to float32 first.
class NoAutocast {
 public:
  NoAutocast();

 private:
  c10::impl::ExcludeDispatchKeyGuard guard_;
};

// True while autocast is on for `device`'s type on this thread.
bool autocast_enabled(const torch::Device& device);

// torch.cuda.amp.GradScaler, written out with plain tensor operations so that
// it runs (and is tested) on any device: the loss is multiplied by `scale`
// before backward; unscale() divides the gradients by it and reports whether
// they are all finite; the optimiser steps only then; update() halves the
// scale after an overflow, doubles it after `growth_interval` clean steps.
class LossScaler {
 public:
  struct Options {
    double init_scale = 65536.0;  // 2^16
    double growth_factor = 2.0;
    double backoff_factor = 0.5;
    int growth_interval = 2000;
  };
  LossScaler() : LossScaler(Options{}) {}
  explicit LossScaler(Options options);

  torch::Tensor scale(const torch::Tensor& loss) const;
  // Gradients of `params` (undefined ones skipped) divided by the scale, in
  // place; false when any is inf or NaN.
  bool unscale(const std::vector<torch::Tensor>& params) const;
  // After each step: `finite` as unscale() returned it.
  void update(bool finite);

  double scale_value() const { return scale_; }
  int growth_tracker() const { return growth_tracker_; }
  // Restores a saved state (resume).
  void set_state(double scale, int growth_tracker);
  const Options& options() const { return options_; }

 private:
  Options options_;
  double scale_;
  int growth_tracker_ = 0;
};

}  // namespace intershape::core::train
