#pragma once
// One training step of the reference (main/train.py): zero the gradients,
// forward in train mode, the six loss terms, backward of their sum, Adam over
// the mesh regressor's parameters only (incl. the MANO layers' transl).
// LibTorch.

#include <array>
#include <functional>
#include <memory>
#include <vector>

#include <torch/torch.h>

#include "core/train/loss.h"
#include "core/train/model.h"

namespace intershape::core::train {

// PyTorch 1.13's Adam, single-tensor path (foreach off, its default then),
// with its defaults: betas 0.9 / 0.999, eps 1e-8, no weight decay, no
// amsgrad. Written out here rather than torch::optim::Adam so that its state
// (step, exp_avg, exp_avg_sq per parameter index) can be saved in PyTorch's
// optimizer state_dict layout and restored exactly, with no dependence on how
// a LibTorch version keys its optimiser state.
class Adam {
 public:
  struct Slot {
    double step = 0;        // PyTorch keeps it as a float32 scalar tensor; whole numbers here
    torch::Tensor exp_avg;  // undefined until the parameter's first gradient
    torch::Tensor exp_avg_sq;
  };
  static constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEps = 1e-8;

  Adam(std::vector<torch::Tensor> params, double lr);
  void zero_grad();  // zeroes existing gradients (PyTorch 1.13's default, set_to_none=False)
  void step();       // parameters without a gradient are skipped and get no state
  double lr = 0;
  const std::vector<torch::Tensor>& params() const { return params_; }
  std::vector<Slot>& slots() { return slots_; }
  const std::vector<Slot>& slots() const { return slots_; }

 private:
  std::vector<torch::Tensor> params_;
  std::vector<Slot> slots_;
};

struct StepResult {
  std::array<double, 6> terms{};  // kLossNames' order
  double total = 0;
  TrainOutputs outputs;  // detached
};

class Trainer {
 public:
  // `net` in train mode on its device. The optimiser holds
  // net->mesh_reg()->parameters() (197 tensors, the reference's order).
  Trainer(TwoHandNet net, double lr);

  void set_lr(double lr) { adam_.lr = lr; }
  double lr() const { return adam_.lr; }

  // One step on a batch: img [B,3,256,256] RGB [0,1] and its targets, on the
  // network's device.
  StepResult step(const torch::Tensor& img, const Targets& targets);

  TwoHandNet& net() { return net_; }
  Adam& optimizer() { return adam_; }

  // Data parallel (core/train/distributed.h): called between backward and the
  // Adam step with the optimised parameters and this rank's sample count, to
  // replace each gradient by the job's mean. Unset: one process.
  using GradientSync =
      std::function<void(const std::vector<torch::Tensor>& params, int64_t samples)>;
  void set_gradient_sync(GradientSync sync) { sync_ = std::move(sync); }
  // The step of a rank whose shard of a short last batch is empty: no
  // forward, zero gradient of its own, but the sync and the Adam step as the
  // other ranks. Returns zero terms (the job's come from the sync's caller).
  StepResult step_without_samples();

 private:
  TwoHandNet net_;
  Adam adam_;
  GradientSync sync_;
};

}  // namespace intershape::core::train
