#include "core/train/checkpoint_io.h"

#include <cstring>
#include <stdexcept>

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

PyValue record_value(const RunRecord& r) {
  PyValue d = PyValue::dict();
  auto put = [&](const char* k, PyValue v) {
    d.entries.emplace_back(PyValue::str(k), std::move(v));
  };
  put("format", PyValue::integer(1));
  put("epoch", PyValue::integer(r.epoch));
  put("step_in_epoch", PyValue::integer(r.step_in_epoch));
  put("step", PyValue::integer(r.step));
  put("seed", PyValue::str(std::to_string(r.seed)));  // uint64: a Python int, but exact as text
  put("batch", PyValue::integer(r.batch));
  put("world", PyValue::integer(r.world));
  put("shuffle", PyValue::boolean(r.shuffle));
  put("augment", PyValue::boolean(r.augment));
  put("dataset_size", PyValue::integer(r.dataset_size));
  put("lr", PyValue::real(r.lr));
  std::vector<PyValue> steps;
  for (int e : r.lr_steps) steps.push_back(PyValue::integer(e));
  put("lr_steps", PyValue::list(std::move(steps)));
  return d;
}

torch::Tensor read_tensor(const core::formats::Checkpoint& ck, const core::formats::TensorInfo& t) {
  std::vector<float> v = ck.read(t).to_float();
  return torch::from_blob(v.data(), t.shape, torch::kFloat32).clone();
}

}  // namespace

bool read_run_record(const core::formats::Checkpoint& ck, RunRecord& r) {
  using core::formats::ExtraValue;
  if (ck.find_extra_value("intershape/format") == nullptr) return false;
  auto get = [&](const std::string& key, ExtraValue::Type type) -> const ExtraValue& {
    const ExtraValue* v = ck.find_extra_value("intershape/" + key);
    if (v == nullptr || v->type != type)
      throw std::runtime_error(ck.path() + ": 'intershape' entry without a valid '" + key + "'");
    return *v;
  };
  using T = ExtraValue::Type;
  if (get("format", T::kInt).integer != 1)
    throw std::runtime_error(ck.path() + ": 'intershape' entry of an unknown format");
  const int64_t epoch = get("epoch", T::kInt).integer;
  if (epoch < 0 || epoch > (1 << 30)) throw std::runtime_error(ck.path() + ": bad resume epoch");
  r.epoch = static_cast<int>(epoch);
  r.step_in_epoch = get("step_in_epoch", T::kInt).integer;
  r.step = get("step", T::kInt).integer;
  if (r.step_in_epoch < 0 || r.step < r.step_in_epoch)
    throw std::runtime_error(ck.path() + ": bad resume step");
  try {
    size_t used = 0;
    const std::string& text = get("seed", T::kStr).text;
    r.seed = std::stoull(text, &used);
    if (used != text.size()) throw std::invalid_argument("seed");
  } catch (const std::logic_error&) {
    throw std::runtime_error(ck.path() + ": 'intershape' entry with a bad seed");
  }
  r.batch = get("batch", T::kInt).integer;
  r.world = get("world", T::kInt).integer;
  r.shuffle = get("shuffle", T::kBool).boolean;
  r.augment = get("augment", T::kBool).boolean;
  r.dataset_size = get("dataset_size", T::kInt).integer;
  r.lr = get("lr", T::kFloat).real;
  r.lr_steps.clear();
  for (size_t i = 0;; ++i) {
    const ExtraValue* v = ck.find_extra_value("intershape/lr_steps/" + std::to_string(i));
    if (v == nullptr || v->type != T::kInt) break;
    r.lr_steps.push_back(static_cast<int>(v->integer));
  }
  return true;
}

void load_optimizer_state(const core::formats::Checkpoint& ck, Adam& adam) {
  torch::NoGradGuard no_grad;
  const auto& params = adam.params();
  if (ck.find_extra_value("optimizer/param_groups/0/params/" + std::to_string(params.size() - 1)) ==
          nullptr ||
      ck.find_extra_value("optimizer/param_groups/0/params/" + std::to_string(params.size())) !=
          nullptr) {
    throw std::runtime_error(ck.path() + ": its optimizer does not hold the " +
                             std::to_string(params.size()) + " mesh-regressor parameters");
  }
  std::vector<Adam::Slot> slots(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    const std::string base = "optimizer/state/" + std::to_string(i) + "/";
    const core::formats::TensorInfo* step = ck.find_extra_tensor(base + "step");
    const core::formats::TensorInfo* avg = ck.find_extra_tensor(base + "exp_avg");
    const core::formats::TensorInfo* sq = ck.find_extra_tensor(base + "exp_avg_sq");
    if (!step && !avg && !sq) continue;  // a parameter that never had a gradient
    const std::vector<int64_t> shape(params[i].sizes().begin(), params[i].sizes().end());
    if (!step || !avg || !sq || step->numel() != 1 || avg->shape != shape || sq->shape != shape)
      throw std::runtime_error(ck.path() + ": optimizer state " + std::to_string(i) +
                               " is incomplete or does not match parameter shape " +
                               core::formats::shape_string(shape));
    slots[i].step = ck.read(*step).to_float().at(0);
    slots[i].exp_avg = read_tensor(ck, *avg).to(params[i].device());
    slots[i].exp_avg_sq = read_tensor(ck, *sq).to(params[i].device());
  }
  adam.slots() = std::move(slots);
}

std::string resume_mismatch(const RunRecord& saved, const RunRecord& wanted) {
  std::string out;
  auto differ = [&](const char* what, const std::string& a, const std::string& b) {
    if (a != b)
      out += std::string(what) + ": the checkpoint's run used " + a + ", this run asks " + b + "\n";
  };
  auto yes_no = [](bool b) { return std::string(b ? "yes" : "no"); };
  differ("--seed", std::to_string(saved.seed), std::to_string(wanted.seed));
  differ("--batch", std::to_string(saved.batch), std::to_string(wanted.batch));
  differ("world size", std::to_string(saved.world), std::to_string(wanted.world));
  differ("shuffle", yes_no(saved.shuffle), yes_no(wanted.shuffle));
  differ("augmentation", yes_no(saved.augment), yes_no(wanted.augment));
  differ("training samples", std::to_string(saved.dataset_size),
         std::to_string(wanted.dataset_size));
  return out;
}

void save_checkpoint(const std::string& path, TwoHandNetImpl& net, const Adam& adam, int epoch,
                     const RunRecord* record) {
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
  if (record) root.entries.emplace_back(PyValue::str("intershape"), record_value(*record));
  core::formats::write_torch_save(path, root);
}

}  // namespace intershape::core::train
