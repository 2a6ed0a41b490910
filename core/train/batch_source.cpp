#include "core/train/batch_source.h"

#include <stdexcept>

namespace intershape::core::train {

Batch make_batch(const std::vector<TrainExample>& ex, torch::Device device) {
  auto stack = [&](auto field, std::vector<int64_t> shape) {
    std::vector<torch::Tensor> parts;
    for (const TrainExample& e : ex) {
      const auto& v = e.*field;
      parts.push_back(torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32));
    }
    return torch::stack(parts).to(device);
  };
  Batch out;
  out.img = stack(&TrainExample::img, {3, 256, 256});
  out.targets.joint_coord = stack(&TrainExample::joint_coord, {42, 3});
  out.targets.hand_type = stack(&TrainExample::hand_type, {2});
  out.targets.shape_param = stack(&TrainExample::shape_param, {20});
  out.targets.joint_valid = stack(&TrainExample::joint_valid, {42});
  out.targets.mano_valid = stack(&TrainExample::mano_valid, {2});
  out.size = ex.size();
  return out;
}

void SimpleBatchSource::start_epoch(int /*epoch*/, std::vector<std::vector<size_t>> batches) {
  pending_ = std::move(batches);
  next_ = 0;
}

Batch SimpleBatchSource::next() {
  if (next_ >= pending_.size()) throw std::logic_error("BatchSource::next: no batch left");
  std::vector<TrainExample> ex;
  for (size_t i : pending_[next_]) ex.push_back(data_.get(i));
  ++next_;
  return make_batch(ex, device_);
}

}  // namespace intershape::core::train
