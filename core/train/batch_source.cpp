#include "core/train/batch_source.h"

#include <stdexcept>
#include <vector>

namespace intershape::core::train {

Batch to_device(const std::shared_ptr<HostBatch>& hb, torch::Device device) {
  const int64_t b = static_cast<int64_t>(hb->size());
  auto wrap = [&](float* data, std::vector<int64_t> shape) {
    shape.insert(shape.begin(), b);
    const auto keep_alive = [hb](void*) {};
    return torch::from_blob(data, shape, keep_alive, torch::kFloat32).to(device);
  };
  Batch out;
  out.img = wrap(hb->img.get(), {3, 256, 256});
  out.targets.joint_coord = wrap(hb->joint_coord.data(), {42, 3});
  out.targets.hand_type = wrap(hb->hand_type.data(), {2});
  out.targets.shape_param = wrap(hb->shape_param.data(), {20});
  out.targets.joint_valid = wrap(hb->joint_valid.data(), {42});
  out.targets.mano_valid = wrap(hb->mano_valid.data(), {2});
  out.size = hb->size();
  return out;
}

Batch LoaderBatchSource::next(int epoch, size_t step) {
  const std::shared_ptr<HostBatch> host = loader_.next();
  if (!host || host->epoch != epoch || host->step != step)
    throw std::logic_error("data loader out of step with the training loop");
  if (host->size() == 0) return Batch{};  // a rank's empty share of a short last batch
  return to_device(host, device_);
}

}  // namespace intershape::core::train
