#include "core/train/scratch_init.h"

#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <ATen/CPUGeneratorImpl.h>

#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"

namespace intershape::core::train {
namespace {

namespace nn = torch::nn;

const std::string kInternetPrefix = "heatmap_predictor.";
const std::string kResNetPrefix = "mesh_reg.base_net.";

std::vector<int64_t> sizes_of(const torch::Tensor& t) {
  return std::vector<int64_t>(t.sizes().begin(), t.sizes().end());
}

// Collects problems and throws them together, naming the file, so that a
// wrong file is diagnosed in one run: a hint first, then the misshapen,
// unexpected and missing keys (each list cut after 12 names, with the count).
class Problems {
 public:
  std::vector<std::string> hints, shapes, unexpected, missing;
  void throw_if_any(const std::string& path, const std::string& what) const {
    const size_t n = shapes.size() + unexpected.size() + missing.size();
    if (n == 0) return;
    std::ostringstream msg;
    msg << path << ": not " << what << " (" << n << " problem(s)):";
    for (const std::string& h : hints) msg << "\n  " << h;
    list(msg, shapes, "");
    list(msg, unexpected, "unexpected ");
    list(msg, missing, "missing ");
    throw std::runtime_error(msg.str());
  }

 private:
  static void list(std::ostringstream& msg, const std::vector<std::string>& v, const char* what) {
    for (size_t i = 0; i < v.size() && i < 12; ++i) msg << "\n  " << what << v[i];
    if (v.size() > 12) msg << "\n  ... and " << v.size() - 12 << " more " << what << "key(s)";
  }
};

// The state-dict tensors under `prefix` by key without it, with their roles.
struct Target {
  torch::Tensor tensor;
  core::net::ParamRole role;
};
std::vector<std::pair<std::string, Target>> targets_under(TwoHandNetImpl& net,
                                                          const std::string& prefix) {
  std::unordered_map<std::string, core::net::ParamRole> roles;
  for (const auto& s : core::net::expected_state_dict()) roles.emplace(s.key, s.role);
  std::vector<std::pair<std::string, Target>> out;
  for (auto& [key, t] : net.state_dict_entries())
    if (key.rfind(prefix, 0) == 0) out.push_back({key.substr(prefix.size()), {t, roles.at(key)}});
  return out;
}

// Copies the file's tensor into `dst` (same number of elements, any float
// dtype in the file); counters as integers.
void copy_from(const core::formats::Checkpoint& ck, const core::formats::TensorInfo& info,
               torch::Tensor dst) {
  if (dst.scalar_type() == torch::kInt64) {
    std::vector<int64_t> v = ck.read(info).to_int64();
    dst.fill_(v.empty() ? 0 : v[0]);
    return;
  }
  std::vector<float> v = ck.read(info).to_float();
  dst.copy_(torch::from_blob(v.data(), dst.sizes(), torch::kFloat32));
}

// The file's entry for `key`, or null: a missing num_batches_tracked is set
// to 0 (PyTorch's BatchNorm accepts a state dict without it), any other
// missing key is a problem.
const core::formats::TensorInfo* find_or_missing(const core::formats::Checkpoint& ck,
                                                 const std::string& key, Target& target,
                                                 Problems& problems) {
  const core::formats::TensorInfo* info = ck.find(key);
  if (!info) {
    if (target.role == core::net::ParamRole::kCounter)
      target.tensor.zero_();
    else
      problems.missing.push_back(key);
  }
  return info;
}

void init_mesh_reg(TwoHandNetImpl& net, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  // model.apply(init_weights) matches exact types; our modules are the plain
  // LibTorch ones, so `as<>` is the same test. Module order is registration
  // order, hence deterministic.
  for (const auto& m : net.mesh_reg()->modules(/*include_self=*/false)) {
    if (auto* c = m->as<nn::Conv2d>()) {
      c->weight.normal_(0.0, 0.01, gen);
      if (c->bias.defined()) c->bias.zero_();
    } else if (auto* d = m->as<nn::ConvTranspose2d>()) {
      d->weight.normal_(0.0, 0.001, gen);
      if (d->bias.defined()) d->bias.zero_();
    } else if (auto* b = m->as<nn::BatchNorm2d>()) {
      // The constants of init_weights, and a fresh BatchNorm's statistics.
      b->weight.fill_(1);
      b->bias.zero_();
      b->running_mean.zero_();
      b->running_var.fill_(1);
      b->num_batches_tracked.zero_();
    } else if (auto* l = m->as<nn::Linear>()) {
      l->weight.normal_(0.0, 0.01, gen);
      if (l->bias.defined()) l->bias.zero_();
    }
  }
  // smplx.create: betas, global_orient, body_pose, hand_pose and transl all
  // start at zero.
  for (auto& [key, t] : targets_under(net, "mesh_reg.mano_layer."))
    if (t.tensor.requires_grad()) t.tensor.zero_();
}

// Step 2: load_state_dict(strict) of the snapshot's 'network' into the
// heatmap network. A missing num_batches_tracked is accepted and set to 0, as
// PyTorch's BatchNorm does for a state dict without version metadata.
void load_internet(TwoHandNetImpl& net, const core::formats::Checkpoint& ck) {
  torch::NoGradGuard no_grad;
  Problems problems;
  std::unordered_set<std::string> wanted;
  for (auto& [key, target] : targets_under(net, kInternetPrefix)) {
    wanted.insert(key);
    const core::formats::TensorInfo* info = find_or_missing(ck, key, target, problems);
    if (!info) continue;
    if (info->shape != sizes_of(target.tensor)) {
      problems.shapes.push_back(key + ": " + core::formats::shape_string(info->shape) + ", expected " +
                   core::formats::shape_string(sizes_of(target.tensor)));
      continue;
    }
    copy_from(ck, *info, target.tensor);
  }
  bool two_hand = false;
  for (const auto& t : ck.tensors()) {
    if (wanted.count(t.key)) continue;
    problems.unexpected.push_back(t.key);
    two_hand = two_hand || t.key.rfind(kInternetPrefix, 0) == 0;
  }
  if (two_hand)
    problems.hints.push_back(
        "this looks like a whole two-hand network checkpoint: pass it as --init to fine-tune");
  problems.throw_if_any(ck.path(),
                        "an InterNet snapshot (snapshot_19.pth.tar: 'network' with "
                        "backbone_net.* and pose_net.*)");
}

// Step 3: resnet_anydim.py init_weights. Keys of the file that MeshRegNet's
// ResNet does not have (fc, the blocks' BatchNorms) are ignored; a missing
// key is an error (the reference's strict load_state_dict fails on it too),
// except num_batches_tracked (0, as in step 2). A shape may differ only where
// the extra heatmap channels are.
void load_resnet50(TwoHandNetImpl& net, const core::formats::Checkpoint& ck, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  Problems problems;
  for (auto& [key, target] : targets_under(net, kResNetPrefix)) {
    const core::formats::TensorInfo* info = find_or_missing(ck, key, target, problems);
    if (!info) continue;
    const std::vector<int64_t> want = sizes_of(target.tensor);
    if (info->shape == want) {
      copy_from(ck, *info, target.tensor);
      continue;
    }
    const bool extra = kResNetPrefix + key == kExtraChannelKeys[0] ||
                       kResNetPrefix + key == kExtraChannelKeys[1];
    std::vector<int64_t> narrowed = want;
    narrowed[1] -= kExtraLayer3Channels;
    if (!extra || info->shape != narrowed) {
      problems.shapes.push_back(key + ": " + core::formats::shape_string(info->shape) + ", expected " +
                   core::formats::shape_string(extra ? narrowed : want));
      continue;
    }
    copy_from(ck, *info, target.tensor.narrow(1, 0, narrowed[1]));
    target.tensor.narrow(1, narrowed[1], kExtraLayer3Channels).normal_(0.0, 0.01, gen);
  }
  problems.throw_if_any(ck.path(), "torchvision's resnet50 state dict (conv1.weight, bn1.*, "
                                   "layer1.0.conv1.weight, ...)");
}

at::Generator make_generator(uint64_t seed) { return at::detail::createCPUGenerator(seed); }

}  // namespace

void init_mesh_reg_reference(TwoHandNetImpl& net, uint64_t seed) {
  at::Generator gen = make_generator(seed);
  init_mesh_reg(net, gen);
}

void init_from_scratch(TwoHandNetImpl& net, const core::formats::Checkpoint& internet,
                       const core::formats::Checkpoint& resnet50, uint64_t seed) {
  at::Generator gen = make_generator(seed);
  init_mesh_reg(net, gen);
  load_internet(net, internet);
  load_resnet50(net, resnet50, gen);
}

}  // namespace intershape::core::train
