#include "core/eval/ground_truth.h"

#include <cstring>

#include <torch/torch.h>

#include "mano/mano_layer.h"

namespace intershape::core::eval {

struct GroundTruthMano::Impl {
  std::unique_ptr<mano::ManoLayer> layer[2];
};

GroundTruthMano::GroundTruthMano(const mano::ManoPair& pair) : impl_(std::make_unique<Impl>()) {
  impl_->layer[0] = std::make_unique<mano::ManoLayer>(pair.right, torch::kCPU);
  impl_->layer[1] = std::make_unique<mano::ManoLayer>(pair.left, torch::kCPU);
}

GroundTruthMano::~GroundTruthMano() = default;

void GroundTruthMano::forward(int hand, const std::vector<const ManoFit*>& fits, float* joints,
                              float* vertices) const {
  if (fits.empty()) return;
  c10::InferenceMode guard;
  const int64_t n = static_cast<int64_t>(fits.size());
  torch::Tensor pose = torch::empty({n, 48}), betas = torch::empty({n, 10}),
                transl = torch::empty({n, 3});
  for (int64_t i = 0; i < n; ++i) {
    std::memcpy(pose[i].data_ptr<float>(), fits[static_cast<size_t>(i)]->pose.data(), 48 * 4);
    std::memcpy(betas[i].data_ptr<float>(), fits[static_cast<size_t>(i)]->shape.data(), 10 * 4);
    std::memcpy(transl[i].data_ptr<float>(), fits[static_cast<size_t>(i)]->trans.data(), 3 * 4);
  }
  mano::ManoLayer::Output out = impl_->layer[hand]->forward(pose, betas, transl);
  torch::Tensor j = out.joints.contiguous();
  std::memcpy(joints, j.data_ptr<float>(), static_cast<size_t>(n) * 21 * 3 * sizeof(float));
  if (vertices) {
    torch::Tensor v = out.vertices.contiguous();
    std::memcpy(vertices, v.data_ptr<float>(), static_cast<size_t>(n) * 778 * 3 * sizeof(float));
  }
}

}  // namespace intershape::core::eval
