#pragma once
// Stand-ins for the two files training from scratch reads, with the real
// layouts and shapes but made-up content (we cannot ship InterNet's
// snapshot_19.pth.tar nor torchvision's ImageNet weights), written with our
// torch.save writer:
//   - the InterNet snapshot: {'epoch': 19, 'network': OrderedDict('module.'
//     + every heatmap-network key), 'optimizer': {}} as InterHand2.6M's
//     trainer saves it;
//   - torchvision's resnet50 state dict: an OrderedDict of conv1, bn1,
//     layer1..4 (conv1..3 and bn1..3 per block, downsample.0/1), fc; without
//     num_batches_tracked, as resnet50-19c8e357.pth (PyTorch 0.4).
// Every float tensor holds stand_in_tensor(index, ...): uniform noise from a
// generator seeded by its position in the file, so a test can tell where
// each one landed, scaled as trained weights are (weights +-sqrt(6 / fan_in),
// as Kaiming's ReLU init; BatchNorm scales and variances around 1, shifts
// and means around 0): MeshRegNet's ResNet has no BatchNorm inside its
// blocks, so weights of the wrong scale would overflow its activations.
// Test code; LibTorch.

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/formats/torch_save_writer.h"
#include "core/net/architecture.h"

namespace intershape::test {

struct StandInTensor {
  std::string key;  // as in the file (the snapshot's without `module.`)
  std::vector<int64_t> shape;
  bool counter = false;  // num_batches_tracked (int64 scalar = its index)
};

inline torch::Tensor stand_in_tensor(size_t index, const std::string& key,
                                     const std::vector<int64_t>& shape) {
  at::Generator gen = at::detail::createCPUGenerator(1000 + index);
  const torch::Tensor u = torch::rand(shape, gen) * 2 - 1;  // [-1, 1)
  if (shape.size() >= 2) {
    int64_t fan_in = 1;
    for (size_t d = 1; d < shape.size(); ++d) fan_in *= shape[d];
    return u * static_cast<float>(std::sqrt(6.0 / static_cast<double>(fan_in)));
  }
  const bool around_one = key.size() >= 6 && (key.compare(key.size() - 6, 6, "weight") == 0 ||
                                                key.find("running_var") != std::string::npos);
  return around_one ? 1 + 0.5f * u : 0.1f * u;
}

// InterNet's keys: the network's heatmap_predictor.* without that prefix.
inline std::vector<StandInTensor> internet_layout() {
  const std::string prefix = "heatmap_predictor.";
  std::vector<StandInTensor> out;
  for (const auto& s : core::net::expected_state_dict())
    if (s.key.rfind(prefix, 0) == 0)
      out.push_back({s.key.substr(prefix.size()), s.shape,
                     s.role == core::net::ParamRole::kCounter});
  return out;
}

// torchvision's resnet50 keys, spelled out independently of our network.
inline std::vector<StandInTensor> resnet50_layout() {
  std::vector<StandInTensor> out;
  auto bn = [&](const std::string& p, int64_t c) {
    for (const char* n : {"weight", "bias", "running_mean", "running_var"})
      out.push_back({p + "." + n, {c}});
  };
  out.push_back({"conv1.weight", {64, 3, 7, 7}});
  bn("bn1", 64);
  const int blocks[4] = {3, 4, 6, 3};
  int64_t inplanes = 64;
  for (int l = 0; l < 4; ++l) {
    const int64_t planes = int64_t{64} << l;
    for (int i = 0; i < blocks[l]; ++i) {
      const std::string p = "layer" + std::to_string(l + 1) + "." + std::to_string(i);
      const int64_t in = i == 0 ? inplanes : planes * 4;
      out.push_back({p + ".conv1.weight", {planes, in, 1, 1}});
      bn(p + ".bn1", planes);
      out.push_back({p + ".conv2.weight", {planes, planes, 3, 3}});
      bn(p + ".bn2", planes);
      out.push_back({p + ".conv3.weight", {planes * 4, planes, 1, 1}});
      bn(p + ".bn3", planes * 4);
      if (i == 0) {
        out.push_back({p + ".downsample.0.weight", {planes * 4, in, 1, 1}});
        bn(p + ".downsample.1", planes * 4);
      }
    }
    inplanes = planes * 4;
  }
  out.push_back({"fc.weight", {1000, 2048}});
  out.push_back({"fc.bias", {1000}});
  return out;
}

inline core::formats::PyValue stand_in_value(size_t index, const StandInTensor& t) {
  using core::formats::DType;
  using core::formats::PyValue;
  torch::Tensor v = t.counter ? torch::tensor(static_cast<int64_t>(index))
                              : stand_in_tensor(index, t.key, t.shape);
  auto bytes = std::make_shared<std::vector<uint8_t>>(v.nbytes());
  std::memcpy(bytes->data(), v.data_ptr(), v.nbytes());
  return PyValue::tensor(t.counter ? DType::kInt64 : DType::kFloat32, t.shape, bytes);
}

// Writes `layout` (entry i holds pattern(i)); `snapshot`: inside the
// trainer's {'epoch', 'network', 'optimizer'} with `module.` keys.
inline void write_stand_in(const std::string& path, const std::vector<StandInTensor>& layout,
                           bool snapshot) {
  using core::formats::PyValue;
  PyValue sd = PyValue::ordered_dict();
  for (size_t i = 0; i < layout.size(); ++i)
    sd.entries.emplace_back(PyValue::str((snapshot ? "module." : "") + layout[i].key),
                            stand_in_value(i, layout[i]));
  if (!snapshot) {
    core::formats::write_torch_save(path, sd);
    return;
  }
  PyValue root = PyValue::dict();
  root.entries.emplace_back(PyValue::str("epoch"), PyValue::integer(19));
  root.entries.emplace_back(PyValue::str("network"), std::move(sd));
  root.entries.emplace_back(PyValue::str("optimizer"), PyValue::dict());
  core::formats::write_torch_save(path, root);
}

}  // namespace intershape::test
