#pragma once
// The reference's training loss (common/nets/loss.py), the six terms summed
// over the four supervised stages. LibTorch.

#include <array>
#include <string>

#include <torch/torch.h>

#include "core/train/model.h"

namespace intershape::core::train {

// Ground truth of a batch, as the reference's dataset returns it in 'train' mode.
struct Targets {
  torch::Tensor joint_coord;  // [B, 42, 3] camera mm, reference joint order
  torch::Tensor hand_type;    // [B, 2] (1, 1) for interacting hands
  torch::Tensor shape_param;  // [B, 20] right betas then left
  torch::Tensor joint_valid;  // [B, 42] the quirked mask (see the fixture README)
  torch::Tensor mano_valid;   // [B, 2]
};

inline constexpr std::array<const char*, 6> kLossNames = {"offset", "consis", "joint",
                                                          "bone",   "shape",  "regularizer"};

// Six scalar terms (with their weights applied), in kLossNames' order; total()
// sums them in that order as the reference's training loop does.
struct LossTerms {
  std::array<torch::Tensor, 6> terms;
  torch::Tensor total() const;
};

// Masked entries contribute exactly 0 to loss and gradient (selection, not
// multiplication), so a hand without a MANO fit (its GT is 0/0) is harmless.
LossTerms compute_loss(const TrainOutputs& outputs, const Targets& targets);

}  // namespace intershape::core::train
