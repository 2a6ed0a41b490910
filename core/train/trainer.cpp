#include "core/train/trainer.h"

#include <cmath>

namespace intershape::core::train {

Adam::Adam(std::vector<torch::Tensor> params, double lr_in)
    : lr(lr_in), params_(std::move(params)), slots_(params_.size()) {}

void Adam::zero_grad() {
  for (torch::Tensor& p : params_) {
    torch::Tensor& g = p.mutable_grad();
    if (g.defined()) {
      g = g.detach();
      g.zero_();
    }
  }
}

void Adam::step() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < params_.size(); ++i) {
    torch::Tensor& p = params_[i];
    const torch::Tensor& g = p.grad();
    if (!g.defined()) continue;
    Slot& s = slots_[i];
    if (!s.exp_avg.defined()) {
      s.exp_avg = torch::zeros_like(p, torch::MemoryFormat::Preserve);
      s.exp_avg_sq = torch::zeros_like(p, torch::MemoryFormat::Preserve);
    }
    s.step += 1;
    s.exp_avg.mul_(kBeta1).add_(g, 1 - kBeta1);
    s.exp_avg_sq.mul_(kBeta2).addcmul_(g, g, 1 - kBeta2);
    // Python floats (double), as torch/optim/adam.py computes them.
    const double bias_correction1 = 1 - std::pow(kBeta1, s.step);
    const double bias_correction2 = 1 - std::pow(kBeta2, s.step);
    const double step_size = lr / bias_correction1;
    const double bias_correction2_sqrt = std::sqrt(bias_correction2);
    torch::Tensor denom = (s.exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(kEps);
    p.addcdiv_(s.exp_avg, denom, -step_size);
  }
}

Trainer::Trainer(TwoHandNet net, double lr)
    : net_(std::move(net)), adam_(net_->mesh_reg()->parameters(), lr) {
  net_->train(true);
}

StepResult Trainer::step(const torch::Tensor& img, const Targets& targets) {
  adam_.zero_grad();
  TrainOutputs out = net_->forward(img);
  LossTerms loss = compute_loss(out, targets);
  torch::Tensor total = loss.total();
  total.backward();
  if (sync_) sync_(adam_.params(), img.size(0));
  adam_.step();

  StepResult r;
  for (size_t i = 0; i < loss.terms.size(); ++i) r.terms[i] = loss.terms[i].item<double>();
  r.total = total.item<double>();
  r.outputs.joints3d = out.joints3d.detach();
  r.outputs.t_pose = out.t_pose.detach();
  r.outputs.pose = out.pose.detach();
  r.outputs.shape = out.shape.detach();
  r.outputs.trans = out.trans.detach();
  r.outputs.xyc = out.xyc;
  return r;
}

StepResult Trainer::step_without_samples() {
  adam_.zero_grad();
  if (sync_) sync_(adam_.params(), 0);
  adam_.step();
  return StepResult{};
}

}  // namespace intershape::core::train
