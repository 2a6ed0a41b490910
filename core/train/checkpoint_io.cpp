#include "core/train/checkpoint_io.h"

#include <cstring>

#include "core/formats/torch_save_writer.h"

namespace intershape::core::train {
namespace {

using core::formats::DType;
using core::formats::PyValue;

PyValue tensor_value(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
  DType dtype;
  switch (c.scalar_type()) {
    case torch::kFloat32:
      dtype = DType::kFloat32;
      break;
    case torch::kInt64:
      dtype = DType::kInt64;
      break;
    case torch::kFloat64:
      dtype = DType::kFloat64;
      break;
    case torch::kInt32:
      dtype = DType::kInt32;
      break;
    default:
      throw std::invalid_argument(std::string("checkpoint: unsupported dtype ") +
                                  c.dtype().name().data());
  }
  auto bytes = std::make_shared<std::vector<uint8_t>>(c.nbytes());
  if (c.nbytes()) std::memcpy(bytes->data(), c.data_ptr(), c.nbytes());
  return PyValue::tensor(dtype, std::vector<int64_t>(c.sizes().begin(), c.sizes().end()), bytes);
}

}  // namespace

void save_checkpoint(const std::string& path, TwoHandNetImpl& net, const Adam& adam, int epoch) {
  PyValue network = PyValue::ordered_dict();
  for (const auto& [key, t] : net.state_dict_entries())
    network.entries.emplace_back(PyValue::str("module." + key), tensor_value(t));

  PyValue state = PyValue::dict();
  for (size_t i = 0; i < adam.slots().size(); ++i) {
    const Adam::Slot& s = adam.slots()[i];
    if (!s.exp_avg.defined()) continue;
    PyValue slot = PyValue::dict();
    slot.entries.emplace_back(PyValue::str("step"),
                              tensor_value(torch::tensor(static_cast<float>(s.step))));
    slot.entries.emplace_back(PyValue::str("exp_avg"), tensor_value(s.exp_avg));
    slot.entries.emplace_back(PyValue::str("exp_avg_sq"), tensor_value(s.exp_avg_sq));
    state.entries.emplace_back(PyValue::integer(static_cast<int64_t>(i)), std::move(slot));
  }
  PyValue group = PyValue::dict();
  auto put = [&](const char* k, PyValue v) {
    group.entries.emplace_back(PyValue::str(k), std::move(v));
  };
  put("lr", PyValue::real(adam.lr));
  put("betas", PyValue::tuple({PyValue::real(Adam::kBeta1), PyValue::real(Adam::kBeta2)}));
  put("eps", PyValue::real(Adam::kEps));
  put("weight_decay", PyValue::integer(0));
  put("amsgrad", PyValue::boolean(false));
  put("maximize", PyValue::boolean(false));
  put("foreach", PyValue::none());
  put("capturable", PyValue::boolean(false));
  put("differentiable", PyValue::boolean(false));
  put("fused", PyValue::boolean(false));
  std::vector<PyValue> ids;
  for (size_t i = 0; i < adam.params().size(); ++i)
    ids.push_back(PyValue::integer(static_cast<int64_t>(i)));
  put("params", PyValue::list(std::move(ids)));
  PyValue optimizer = PyValue::dict();
  optimizer.entries.emplace_back(PyValue::str("state"), std::move(state));
  optimizer.entries.emplace_back(PyValue::str("param_groups"), PyValue::list({std::move(group)}));

  PyValue root = PyValue::dict();
  root.entries.emplace_back(PyValue::str("epoch"), PyValue::integer(epoch));
  root.entries.emplace_back(PyValue::str("network"), std::move(network));
  root.entries.emplace_back(PyValue::str("optimizer"), std::move(optimizer));
  core::formats::write_torch_save(path, root);
}

}  // namespace intershape::core::train
