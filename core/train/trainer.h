#pragma once
// One training step of the reference (main/train.py): zero the gradients,
// forward in train mode, the six loss terms, backward of their sum, Adam
// (PyTorch's defaults: betas 0.9 / 0.999, eps 1e-8, no weight decay) over the
// mesh regressor's parameters only (incl. the MANO layers' transl).
// LibTorch.

#include <array>
#include <memory>

#include <torch/torch.h>

#include "core/train/loss.h"
#include "core/train/model.h"

namespace intershape::core::train {

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

  void set_lr(double lr);
  double lr() const;

  // One step on a batch: img [B,3,256,256] RGB [0,1] and its targets, on the
  // network's device.
  StepResult step(const torch::Tensor& img, const Targets& targets);

  TwoHandNet& net() { return net_; }
  torch::optim::Adam& optimizer() { return *optimizer_; }

 private:
  TwoHandNet net_;
  std::unique_ptr<torch::optim::Adam> optimizer_;
};

}  // namespace intershape::core::train
