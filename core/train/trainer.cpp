#include "core/train/trainer.h"

namespace intershape::core::train {

Trainer::Trainer(TwoHandNet net, double lr) : net_(std::move(net)) {
  net_->train(true);
  optimizer_ = std::make_unique<torch::optim::Adam>(
      net_->mesh_reg()->parameters(),
      torch::optim::AdamOptions(lr).betas({0.9, 0.999}).eps(1e-8).weight_decay(0));
}

void Trainer::set_lr(double lr) {
  for (auto& group : optimizer_->param_groups())
    static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
}

double Trainer::lr() const {
  return static_cast<const torch::optim::AdamOptions&>(optimizer_->param_groups()[0].options())
      .lr();
}

StepResult Trainer::step(const torch::Tensor& img, const Targets& targets) {
  optimizer_->zero_grad();
  TrainOutputs out = net_->forward(img);
  LossTerms loss = compute_loss(out, targets);
  torch::Tensor total = loss.total();
  total.backward();
  optimizer_->step();

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

}  // namespace intershape::core::train
