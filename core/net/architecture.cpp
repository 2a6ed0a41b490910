#include "core/net/architecture.h"

#include <sstream>
#include <unordered_map>
#include <unordered_set>

namespace intershape::core::net {
namespace {

using Shape = std::vector<int64_t>;

class Builder {
 public:
  std::vector<ParamSpec> specs;

  void weight(const std::string& key, Shape shape) {
    specs.push_back({key, std::move(shape), core::formats::DType::kFloat32, ParamRole::kWeight});
  }
  void batch_norm(const std::string& p, int64_t c) {
    weight(p + ".weight", {c});
    weight(p + ".bias", {c});
    weight(p + ".running_mean", {c});
    weight(p + ".running_var", {c});
    specs.push_back({p + ".num_batches_tracked", {}, core::formats::DType::kInt64, ParamRole::kCounter});
  }
  void linear(const std::string& p, int64_t in, int64_t out) {
    weight(p + ".weight", {out, in});
    weight(p + ".bias", {out});
  }

  // ResNet-50 layers 1..4: blocks 3, 4, 6, 3 of width 64, 128, 256, 512
  // (x4 out). `with_bn`: torchvision's bottleneck; without: MeshRegNet's,
  // whose only BatchNorm is the downsample's. `extra_layer3`: channels
  // concatenated to layer3's input.
  void resnet50(const std::string& p, bool with_bn, int64_t extra_layer3) {
    weight(p + ".conv1.weight", {64, 3, 7, 7});
    batch_norm(p + ".bn1", 64);
    const int blocks[4] = {3, 4, 6, 3};
    int64_t inplanes = 64;
    for (int layer = 0; layer < 4; ++layer) {
      const int64_t planes = int64_t{64} << layer;
      for (int b = 0; b < blocks[layer]; ++b) {
        const std::string q = p + ".layer" + std::to_string(layer + 1) + "." + std::to_string(b);
        const int64_t in = (b == 0) ? inplanes + (layer == 2 ? extra_layer3 : 0) : planes * 4;
        weight(q + ".conv1.weight", {planes, in, 1, 1});
        if (with_bn) batch_norm(q + ".bn1", planes);
        weight(q + ".conv2.weight", {planes, planes, 3, 3});
        if (with_bn) batch_norm(q + ".bn2", planes);
        weight(q + ".conv3.weight", {planes * 4, planes, 1, 1});
        if (with_bn) batch_norm(q + ".bn3", planes * 4);
        if (b == 0) {
          weight(q + ".downsample.0.weight", {planes * 4, in, 1, 1});
          batch_norm(q + ".downsample.1", planes * 4);
        }
      }
      inplanes = planes * 4;
    }
  }

  void mano_layer(const std::string& p) {
    auto unused = [&](const std::string& name, Shape s) {
      specs.push_back(
          {p + "." + name, std::move(s), core::formats::DType::kFloat32, ParamRole::kManoUnused});
    };
    auto buffer = [&](const std::string& name, Shape s, core::formats::DType dt = core::formats::DType::kFloat32) {
      specs.push_back({p + "." + name, std::move(s), dt, ParamRole::kManoBuffer});
    };
    unused("betas", {1, 10});
    unused("global_orient", {1, 3});
    unused("body_pose", {1, 3});
    weight(p + ".transl", {1, 3});  // the only layer parameter the forward pass uses
    unused("hand_pose", {1, 45});
    buffer("shapedirs", {778, 3, 10});
    buffer("faces_tensor", {1540, 3}, core::formats::DType::kInt64);
    buffer("v_template", {778, 3});
    buffer("J_regressor", {16, 778});
    buffer("posedirs", {135, 778 * 3});
    buffer("parents", {16}, core::formats::DType::kInt64);
    buffer("lbs_weights", {778, 16});
    buffer("hand_mean", {45});
    buffer("pose_mean", {48});
    buffer("beta2J", {16, 3, 10});
    buffer("template_J", {16, 3});
    buffer("vertex_joint_selector.extra_joints_idxs", {5}, core::formats::DType::kInt64);
  }

  void mano_branch(const std::string& p, int64_t in) {
    linear(p + ".base_layer.0", in, 512);
    linear(p + ".base_layer.2", 512, 512);
    linear(p + ".base_layer.4", 512, 512);
    linear(p + ".base_layer.6", 512, 512);
    linear(p + ".pose_reg", 512, 48);
    linear(p + ".shape_reg.0", 512, 10);
  }

  void deconv_head(const std::string& p) {
    weight(p + ".0.weight", {2048, 256, 4, 4});
    batch_norm(p + ".1", 256);
    weight(p + ".3.weight", {256, 256, 4, 4});
    batch_norm(p + ".4", 256);
    weight(p + ".6.weight", {256, 256, 4, 4});
    batch_norm(p + ".7", 256);
  }
};

std::vector<ParamSpec> build() {
  Builder b;
  const std::string m = "mesh_reg";
  b.resnet50(m + ".base_net", /*with_bn=*/false, /*extra_layer3=*/672);
  b.mano_layer(m + ".mano_layer.r");
  b.mano_layer(m + ".mano_layer.l");
  b.mano_branch(m + ".left_mano_branch", 2048);
  b.mano_branch(m + ".right_mano_branch", 2048);
  b.linear(m + ".trans_branch.final_layer", 1024, 4);
  b.linear(m + ".trans_branch.decoder.0", 2048, 1024);
  const int64_t cascade_in = 2048 + (10 + 48) * 2 + 4;
  for (const char* side : {"left", "right"})
    for (int i = 0; i < 3; ++i)
      b.mano_branch(m + ".cascaded_" + side + "_mano_branch_list." + std::to_string(i), cascade_in);
  for (const char* side : {"left", "right"}) {
    for (int i = 0; i < 3; ++i) {
      const int64_t c = int64_t{2048} >> i;
      const std::string p =
          m + ".cascaded_" + side + "_feature_extractor_list." + std::to_string(i);
      b.weight(p + ".conv1.weight", {c / 2, c, 1, 1});
      b.weight(p + ".conv2.weight", {c / 2, c / 2, 3, 3});
      b.weight(p + ".conv3.weight", {2048, c / 2, 1, 1});
      b.weight(p + ".downsample.weight", {2048, c, 1, 1});
    }
  }
  const std::string h = "heatmap_predictor";
  b.resnet50(h + ".backbone_net.resnet", /*with_bn=*/true, 0);
  b.deconv_head(h + ".pose_net.joint_deconv_1");
  b.weight(h + ".pose_net.joint_conv_1.0.weight", {21 * 64, 256, 1, 1});
  b.weight(h + ".pose_net.joint_conv_1.0.bias", {21 * 64});
  b.deconv_head(h + ".pose_net.joint_deconv_2");
  b.weight(h + ".pose_net.joint_conv_2.0.weight", {21 * 64, 256, 1, 1});
  b.weight(h + ".pose_net.joint_conv_2.0.bias", {21 * 64});
  b.linear(h + ".pose_net.root_fc.0", 2048, 512);
  b.linear(h + ".pose_net.root_fc.2", 512, 64);
  b.linear(h + ".pose_net.hand_fc.0", 2048, 512);
  b.linear(h + ".pose_net.hand_fc.2", 512, 2);
  return b.specs;
}

void list_section(std::ostringstream& out, const char* title,
                  const std::vector<std::string>& items) {
  if (items.empty()) return;
  constexpr size_t kMaxListed = 64;
  out << "\n  " << items.size() << " " << title << ":";
  for (size_t i = 0; i < items.size() && i < kMaxListed; ++i) out << "\n    " << items[i];
  if (items.size() > kMaxListed) out << "\n    ... and " << (items.size() - kMaxListed) << " more";
}

}  // namespace

const std::vector<ParamSpec>& expected_state_dict() {
  static const std::vector<ParamSpec> specs = build();
  return specs;
}

std::string check_state_dict(const std::vector<FoundTensor>& found, bool need_mano_buffers) {
  std::unordered_map<std::string, const ParamSpec*> expected;
  for (const ParamSpec& s : expected_state_dict()) expected.emplace(s.key, &s);
  std::unordered_set<std::string> seen;
  std::vector<std::string> unexpected, wrong_shape, missing;
  for (const FoundTensor& f : found) {
    seen.insert(f.key);
    auto it = expected.find(f.key);
    if (it == expected.end()) {
      unexpected.push_back(f.key + " " + formats::shape_string(f.shape));
    } else if (it->second->role == ParamRole::kWeight && !formats::is_floating(f.dtype)) {
      wrong_shape.push_back(f.key + ": dtype " + formats::dtype_name(f.dtype) + ", expected a float type");
    } else if (it->second->shape != f.shape) {
      // A wrongly shaped MANO buffer matters only when the buffers are used.
      if (it->second->role != ParamRole::kManoBuffer || need_mano_buffers)
        wrong_shape.push_back(f.key + ": " + formats::shape_string(f.shape) + ", expected " +
                              formats::shape_string(it->second->shape));
    }
  }
  for (const ParamSpec& s : expected_state_dict()) {
    if (seen.count(s.key)) continue;
    if (s.role == ParamRole::kWeight || (s.role == ParamRole::kManoBuffer && need_mano_buffers))
      missing.push_back(s.key + " " + formats::shape_string(s.shape));
  }
  if (missing.empty() && unexpected.empty() && wrong_shape.empty()) return {};
  std::ostringstream out;
  out << "not the two-hand network's state dict (" << missing.size() << " missing, "
      << unexpected.size() << " unexpected, " << wrong_shape.size() << " wrongly shaped or typed):";
  list_section(out, "missing", missing);
  list_section(out, "unexpected", unexpected);
  list_section(out, "wrongly shaped or typed", wrong_shape);
  return out.str();
}

}  // namespace intershape::core::net
