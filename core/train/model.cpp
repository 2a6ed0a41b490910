#include "core/train/model.h"

#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include <ATen/Parallel.h>

#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/net/weight_rule.h"
#include "core/train/precision.h"

namespace intershape::core::train {
namespace {

namespace nn = torch::nn;

constexpr int64_t kHandChannels = 21 * 64;  // 1344 heatmap channels per hand branch

// A container module whose children are named by the caller ("0", "layer1", ...).
std::shared_ptr<nn::Module> child(nn::Module& parent, const std::string& name) {
  return parent.register_module(name, std::make_shared<nn::Module>());
}

nn::Conv2d conv(nn::Module& parent, const std::string& name, int64_t in, int64_t out, int64_t k,
                int64_t stride, int64_t pad, bool bias = false) {
  return parent.register_module(
      name, nn::Conv2d(nn::Conv2dOptions(in, out, k).stride(stride).padding(pad).bias(bias)));
}

nn::BatchNorm2d bn(nn::Module& parent, const std::string& name, int64_t c) {
  // PyTorch's defaults (eps 1e-5, momentum 0.1, affine, running statistics),
  // as every BatchNorm of the reference.
  return parent.register_module(name, nn::BatchNorm2d(nn::BatchNorm2dOptions(c)));
}

nn::Linear linear(nn::Module& parent, const std::string& name, int64_t in, int64_t out) {
  return parent.register_module(name, nn::Linear(nn::LinearOptions(in, out)));
}

torch::Tensor host(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}
torch::Tensor host_i64(const std::vector<int32_t>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<int32_t*>(v.data()), shape, torch::kInt32).to(torch::kInt64);
}

// Bottleneck forward. With BN: torchvision's; without: MeshRegNet's and the
// cascade extractor's (ReLU straight after conv1 and conv2).
torch::Tensor bottleneck(BottleneckRefs b, const torch::Tensor& x) {
  torch::Tensor y = b.conv1(x);
  if (b.bn1) y = b.bn1(y);
  y = torch::relu(y);
  y = b.conv2(y);
  if (b.bn2) y = b.bn2(y);
  y = torch::relu(y);
  y = b.conv3(y);
  if (b.bn3) y = b.bn3(y);
  torch::Tensor residual = x;
  if (b.ds_conv) {
    residual = b.ds_conv(x);
    if (b.ds_bn) residual = b.ds_bn(residual);
  }
  return torch::relu(y + residual);
}

// The cascade's joint map (meshreg.py register_heatmap): weighted least
// squares of scale and offset from the previous stage's joints J [B,21,3] mm
// to the heatmap argmaxes xyc [B,21,3], detached (no gradient through the
// fit), then a product of Gaussians on the S x S grid. Gradient flows into J
// through the projected points. Returns [B, S, S].
torch::Tensor register_map(const torch::Tensor& xyc, const torch::Tensor& joints, int64_t size) {
  const int64_t b = joints.size(0), n = joints.size(1);
  const torch::Tensor xy = joints.narrow(2, 0, 2);
  torch::Tensor eye = torch::eye(2, joints.options()).view({1, 1, 2, 2}).expand({b, n, 2, 2});
  torch::Tensor m = torch::cat({xy.unsqueeze(3), eye}, 3);  // [B,n,2,3]
  torch::Tensor c = xyc.select(2, 2).view({b, n, 1, 1});
  torch::Tensor wm = (c * m).reshape({b, 2 * n, 3});
  torch::Tensor wb = (c * xyc.narrow(2, 0, 2).unsqueeze(3)).reshape({b, 2 * n, 1});
  torch::Tensor mtm = torch::bmm(wm.transpose(2, 1), wm);
  torch::Tensor mtb = torch::bmm(wm.transpose(2, 1), wb);
  torch::Tensor st = torch::bmm(torch::inverse(mtm), mtb).select(2, 0).detach();  // [B,3]
  const double ratio = static_cast<double>(size) / 64.0;
  torch::Tensor p =
      (xy * st.narrow(1, 0, 1).unsqueeze(1) + st.narrow(1, 1, 2).unsqueeze(1)) * ratio;
  torch::Tensor grid = torch::arange(size, joints.options());
  torch::Tensor dx = p.select(2, 0).unsqueeze(2) - grid.view({1, 1, size});
  torch::Tensor dy = p.select(2, 1).unsqueeze(2) - grid.view({1, 1, size});
  torch::Tensor g = torch::exp(-(dx.unsqueeze(2).pow(2) + dy.unsqueeze(3).pow(2)) / 3);
  return 1 - torch::prod(1 - g, 1);
}

}  // namespace

TwoHandNetImpl::TwoHandNetImpl(const mano::ManoPair& mano) : mano_models_(mano) {
  // Registration order = the reference's (and the released checkpoint's)
  // state-dict order, which is also the order of mesh_reg.parameters() that
  // the optimiser state is indexed by.
  mesh_reg_ = register_module("mesh_reg", std::make_shared<nn::Module>());
  nn::Module& mr = *mesh_reg_;
  meshreg_ = make_resnet(mr, "base_net", /*block_bn=*/false, /*extra_layer3=*/672);
  auto mano_layer = child(mr, "mano_layer");
  mano_[0] = make_mano(*mano_layer, "r", mano.right);
  mano_[1] = make_mano(*mano_layer, "l", mano.left);
  branch0_[1] = make_mano_branch(mr, "left_mano_branch", 2048);
  branch0_[0] = make_mano_branch(mr, "right_mano_branch", 2048);
  auto trans = child(mr, "trans_branch");
  trans_final_ = linear(*trans, "final_layer", 1024, 4);
  trans_decoder_ = linear(*child(*trans, "decoder"), "0", 2048, 1024);
  const int64_t cascade_in = 2048 + (10 + 48) * 2 + 4;
  for (int hand : {1, 0}) {
    auto list =
        child(mr, std::string("cascaded_") + (hand == 0 ? "right" : "left") + "_mano_branch_list");
    for (int i = 0; i < 3; ++i)
      cascade_[hand][i] = make_mano_branch(*list, std::to_string(i), cascade_in);
  }
  for (int hand : {1, 0}) {
    auto list = child(
        mr, std::string("cascaded_") + (hand == 0 ? "right" : "left") + "_feature_extractor_list");
    for (int i = 0; i < 3; ++i) {
      const int64_t c = int64_t{2048} >> i, stride = int64_t{1} << i;
      auto blk = child(*list, std::to_string(i));
      BottleneckRefs& b = extractor_[hand][i];
      b.conv1 = conv(*blk, "conv1", c, c / 2, 1, 1, 0);
      b.conv2 = conv(*blk, "conv2", c / 2, c / 2, 3, stride, 1);
      b.conv3 = conv(*blk, "conv3", c / 2, 2048, 1, 1, 0);
      b.ds_conv = conv(*blk, "downsample", c, 2048, 1, stride, 0);
    }
  }

  heatmap_predictor_ = register_module("heatmap_predictor", std::make_shared<nn::Module>());
  internet_ = make_resnet(*child(*heatmap_predictor_, "backbone_net"), "resnet", true, 0);
  auto pose_net = child(*heatmap_predictor_, "pose_net");
  heads_[0] = make_head(*pose_net, 1);
  heads_[1] = make_head(*pose_net, 2);
  // root_fc and hand_fc: in the state dict, outputs unused by the loss (no
  // gradient in the reference either), so never run here.
  for (const char* name : {"root_fc", "hand_fc"}) {
    auto fc = child(*pose_net, name);
    linear(*fc, "0", 2048, 512);
    linear(*fc, "2", 512, std::string(name) == "root_fc" ? 64 : 2);
  }
}

ResNetRefs TwoHandNetImpl::make_resnet(nn::Module& parent, const std::string& name, bool block_bn,
                                       int64_t extra_layer3) {
  auto net = child(parent, name);
  ResNetRefs r;
  r.conv1 = conv(*net, "conv1", 3, 64, 7, 2, 3);
  r.bn1 = bn(*net, "bn1", 64);
  const int blocks[4] = {3, 4, 6, 3};
  int64_t inplanes = 64;
  for (int layer = 0; layer < 4; ++layer) {
    auto seq = child(*net, "layer" + std::to_string(layer + 1));
    const int64_t planes = int64_t{64} << layer;
    for (int i = 0; i < blocks[layer]; ++i) {
      auto blk = child(*seq, std::to_string(i));
      const int64_t in = i == 0 ? inplanes + (layer == 2 ? extra_layer3 : 0) : planes * 4;
      const int64_t stride = (i == 0 && layer > 0) ? 2 : 1;
      BottleneckRefs b;
      b.conv1 = conv(*blk, "conv1", in, planes, 1, 1, 0);
      if (block_bn) b.bn1 = bn(*blk, "bn1", planes);
      b.conv2 = conv(*blk, "conv2", planes, planes, 3, stride, 1);
      if (block_bn) b.bn2 = bn(*blk, "bn2", planes);
      b.conv3 = conv(*blk, "conv3", planes, planes * 4, 1, 1, 0);
      if (block_bn) b.bn3 = bn(*blk, "bn3", planes * 4);
      if (i == 0) {
        auto ds = child(*blk, "downsample");
        b.ds_conv = conv(*ds, "0", in, planes * 4, 1, stride, 0);
        b.ds_bn = bn(*ds, "1", planes * 4);
      }
      r.layers[layer].push_back(b);
    }
    inplanes = planes * 4;
  }
  return r;
}

ManoBranchRefs TwoHandNetImpl::make_mano_branch(nn::Module& parent, const std::string& name,
                                                int64_t in) {
  auto m = child(parent, name);
  auto base = child(*m, "base_layer");
  ManoBranchRefs b;
  for (int i = 0; i < 4; ++i)
    b.base[i] = linear(*base, std::to_string(2 * i), i == 0 ? in : 512, 512);
  b.pose = linear(*m, "pose_reg", 512, 48);
  b.shape = linear(*child(*m, "shape_reg"), "0", 512, 10);
  return b;
}

DeconvHeadRefs TwoHandNetImpl::make_head(nn::Module& pose_net, int k) {
  DeconvHeadRefs h;
  auto seq = child(pose_net, "joint_deconv_" + std::to_string(k));
  int64_t in = 2048;
  for (int i = 0; i < 3; ++i) {
    h.deconv[i] = seq->register_module(
        std::to_string(3 * i),
        nn::ConvTranspose2d(
            nn::ConvTranspose2dOptions(in, 256, 4).stride(2).padding(1).bias(false)));
    h.bn[i] = bn(*seq, std::to_string(3 * i + 1), 256);
    in = 256;
  }
  h.conv = conv(*child(pose_net, "joint_conv_" + std::to_string(k)), "0", 256, kHandChannels, 1, 1,
                0, /*bias=*/true);
  return h;
}

ManoRefs TwoHandNetImpl::make_mano(nn::Module& parent, const std::string& name,
                                   const mano::ManoModel& model) {
  ManoRefs r;
  r.module = child(parent, name);
  nn::Module& m = *r.module;
  m.register_parameter("betas", torch::zeros({1, 10}));
  m.register_parameter("global_orient", torch::zeros({1, 3}));
  m.register_parameter("body_pose", torch::zeros({1, 3}));
  r.transl = m.register_parameter(
      "transl", host(std::vector<float>(model.transl.begin(), model.transl.end()), {1, 3}));
  m.register_parameter("hand_pose", torch::zeros({1, 45}));
  torch::Tensor shapedirs = host(model.shapedirs, {778, 3, 10});
  torch::Tensor v_template = host(model.v_template, {778, 3});
  torch::Tensor j_regressor = host(model.j_regressor, {16, 778});
  torch::Tensor hand_mean = host(model.hand_mean, {45});
  m.register_buffer("shapedirs", shapedirs);
  m.register_buffer("faces_tensor", host_i64(model.faces, {1540, 3}));
  m.register_buffer("v_template", v_template);
  m.register_buffer("J_regressor", j_regressor);
  m.register_buffer("posedirs", host(model.posedirs, {135, 778 * 3}));
  m.register_buffer("parents", host_i64(model.parents, {16}));
  m.register_buffer("lbs_weights", host(model.lbs_weights, {778, 16}));
  m.register_buffer("hand_mean", hand_mean);
  m.register_buffer("pose_mean", torch::cat({torch::zeros({3}), hand_mean}));
  // meshreg.py's "quick T pose" buffers, with its float32 products and sums.
  r.beta2j = m.register_buffer(
      "beta2J", (j_regressor.unsqueeze(2).unsqueeze(3) * shapedirs.unsqueeze(0)).sum(1));
  r.template_j =
      m.register_buffer("template_J", (j_regressor.unsqueeze(2) * v_template.unsqueeze(0)).sum(1));
  auto selector = child(m, "vertex_joint_selector");
  selector->register_buffer("extra_joints_idxs",
                            torch::tensor(std::vector<int64_t>(mano::kFingertipVertices.begin(),
                                                               mano::kFingertipVertices.end())));
  r.layer = std::make_unique<mano::ManoLayer>(model, torch::kCPU);
  return r;
}

void TwoHandNetImpl::to_device(torch::Device device) {
  to(device);
  for (int h = 0; h < 2; ++h) {
    mano_[h].layer =
        std::make_unique<mano::ManoLayer>(h == 0 ? mano_models_.right : mano_models_.left, device);
    // Module::to replaced the tensors: refresh our handles by name.
    mano_[h].transl = mano_[h].module->named_parameters(false)["transl"];
    mano_[h].beta2j = mano_[h].module->named_buffers(false)["beta2J"];
    mano_[h].template_j = mano_[h].module->named_buffers(false)["template_J"];
  }
}

void TwoHandNetImpl::train(bool on) {
  nn::Module::train(on);
  if (on && freeze_internet_bn_) {
    for (const auto& m : heatmap_predictor_->modules()) {
      if (m->as<nn::BatchNorm2d>()) m->eval();
    }
  }
}

torch::Tensor TwoHandNetImpl::resnet_forward_stem(ResNetRefs net, const torch::Tensor& x) {
  return torch::max_pool2d(torch::relu(net.bn1(net.conv1(x))), {3, 3}, {2, 2}, {1, 1});
}

torch::Tensor TwoHandNetImpl::run_layer(const ResNetRefs& net, int layer, torch::Tensor x) {
  for (const BottleneckRefs& b : net.layers[layer]) x = bottleneck(b, x);
  return x;
}

std::pair<torch::Tensor, torch::Tensor> TwoHandNetImpl::run_branch(ManoBranchRefs b,
                                                                   const torch::Tensor& x) {
  torch::Tensor y = x;
  for (auto& l : b.base) y = torch::relu(l(y));
  return {b.pose(y), b.shape(y)};
}

TwoHandNetImpl::HandResult TwoHandNetImpl::run_mano(int hand, const torch::Tensor& pose,
                                                    const torch::Tensor& shape) const {
  // MANO in float32 under mixed precision too (precision.h); for fp32 inputs
  // the casts return the same tensors.
  NoAutocast no_autocast;
  const torch::Tensor pose32 = pose.to(torch::kFloat), shape32 = shape.to(torch::kFloat);
  const ManoRefs& m = mano_[hand];
  mano::ManoLayer::Output out = m.layer->forward(pose32, shape32, m.transl);
  HandResult r;
  r.joints = out.joints;
  r.t_pose = (m.template_j.unsqueeze(0) +
              (m.beta2j.unsqueeze(0) * shape32.unsqueeze(1).unsqueeze(1)).sum(-1)) *
             1000;
  r.pose = pose32;
  r.shape = shape32;
  return r;
}

TrainOutputs TwoHandNetImpl::forward(const torch::Tensor& img) {
  const int64_t batch = img.size(0);

  // 1. InterNet on the un-normalised image.
  std::optional<torch::NoGradGuard> no_internet_graph;
  if (!internet_gradients_) no_internet_graph.emplace();
  torch::Tensor f = resnet_forward_stem(internet_, img);
  for (int l = 0; l < 4; ++l) f = run_layer(internet_, l, f);
  std::array<torch::Tensor, 2> hm;
  for (int k = 0; k < 2; ++k) {
    torch::Tensor x = f;
    for (int i = 0; i < 3; ++i) x = torch::relu(heads_[k].bn[i](heads_[k].deconv[i](x)));
    hm[k] = heads_[k].conv(x).view({batch, 21, 64, 64, 64});
  }
  torch::Tensor heatmap = torch::cat({hm[0], hm[1]}, 1);  // [B,42,D,H,W]
  torch::Tensor downsampled =
      heatmap.slice(2, 0, 64, 4).slice(3, 0, 64, 2).slice(4, 0, 64, 2);  // [B,42,16,32,32]

  // Argmax positions and values: the fit that uses them is detached, so no
  // graph is needed.
  torch::Tensor xyc;
  {
    torch::NoGradGuard no_grad;
    auto [val_z, idx_z] = torch::max(heatmap, 2);
    auto [val_zy, idx_zy] = torch::max(val_z, 2);
    auto [val_zyx, joint_x] = torch::max(val_zy, 2);
    torch::Tensor x = joint_x.unsqueeze(2);
    torch::Tensor y = torch::gather(idx_zy, 2, x);
    xyc = torch::cat(
        {x.to(torch::kFloat), y.to(torch::kFloat), val_zyx.unsqueeze(2).to(torch::kFloat)}, 2);
  }
  // Attention: channel max with index-based gradient, as Tensor.max(dim).
  torch::Tensor amap = heatmap.reshape({batch, -1, 64, 64});
  torch::Tensor attention =
      torch::cat({std::get<0>(amap.slice(1, 0, kHandChannels).max(1, true)),
                  std::get<0>(amap.slice(1, kHandChannels, 2 * kHandChannels).max(1, true))},
                 1);  // [B,2,64,64]
  no_internet_graph.reset();

  // 2. MeshRegNet on the normalised (detached) image.
  const auto opts = img.options();
  torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}, opts).view({3, 1, 1});
  torch::Tensor std = torch::tensor({0.229f, 0.224f, 0.225f}, opts).view({3, 1, 1});
  torch::Tensor x = resnet_forward_stem(meshreg_, ((img - mean) / std).detach());
  x = run_layer(meshreg_, 0, x);
  torch::Tensor l2 = run_layer(meshreg_, 1, x);
  torch::Tensor l3 =
      run_layer(meshreg_, 2, torch::cat({l2, downsampled.reshape({batch, 42 * 16, 32, 32})}, 1));
  torch::Tensor l4 = run_layer(meshreg_, 3, l3);
  torch::Tensor features = l4.mean(3).mean(2);

  // Nearest 64 -> 8 picks rows / cols 0, 8, ..., 56.
  torch::Tensor att8 = attention.slice(2, 0, 64, 8).slice(3, 0, 64, 8);
  std::array<HandResult, 2> cur;
  std::array<std::vector<HandResult>, 2> stages;
  for (int h : {1, 0}) {
    torch::Tensor fh = (l4 * att8.narrow(1, h, 1)).mean({2, 3});
    auto [pose, shape] = run_branch(branch0_[h], fh);
    cur[h] = run_mano(h, pose, shape);
    stages[h].push_back(cur[h]);
  }
  torch::Tensor trans = trans_final_(torch::relu(trans_decoder_(features))).to(torch::kFloat);

  // 3. Cascade on layer4, layer3, layer2.
  const std::array<torch::Tensor, 3> phi = {l4, l3, l2};
  for (int i = 0; i < 3; ++i) {
    const int64_t size = phi[i].size(2);
    std::array<HandResult, 2> next;
    std::array<torch::Tensor, 2> feat;
    for (int h : {1, 0}) {
      torch::Tensor map;
      {
        NoAutocast no_autocast;  // a least-squares fit and its inverse: float32
        map = register_map(xyc.narrow(1, 21 * h, 21), cur[h].joints, size);
      }
      feat[h] = bottleneck(extractor_[h][i], phi[i] * map.unsqueeze(1)).mean({2, 3});
    }
    for (int h : {1, 0}) {
      const int o = 1 - h;
      auto [pose, shape] = run_branch(
          cascade_[h][i],
          torch::cat({cur[o].shape, cur[o].pose, cur[h].shape, cur[h].pose, feat[h], trans}, 1));
      next[h] = run_mano(h, pose, shape);
    }
    cur = next;
    for (int h = 0; h < 2; ++h) stages[h].push_back(cur[h]);
  }

  auto stack = [&](torch::Tensor HandResult::*field) {
    std::array<torch::Tensor, 2> per_hand;
    for (int h = 0; h < 2; ++h) {
      std::vector<torch::Tensor> s;
      for (const HandResult& r : stages[h]) s.push_back(r.*field);
      per_hand[h] = torch::stack(s, 1);
    }
    return torch::cat({per_hand[0], per_hand[1]}, 2);
  };
  TrainOutputs out;
  out.joints3d = stack(&HandResult::joints);
  out.t_pose = stack(&HandResult::t_pose);
  out.pose = stack(&HandResult::pose);
  out.shape = stack(&HandResult::shape);
  out.trans = trans;
  out.xyc = xyc;
  return out;
}

std::vector<std::pair<std::string, torch::Tensor>> TwoHandNetImpl::state_dict_entries() const {
  std::unordered_map<std::string, torch::Tensor> all;
  for (const auto& p : named_parameters(true)) all.emplace(p.key(), p.value());
  for (const auto& b : named_buffers(true)) all.emplace(b.key(), b.value());
  std::vector<std::pair<std::string, torch::Tensor>> out;
  for (const core::net::ParamSpec& s : core::net::expected_state_dict()) {
    auto it = all.find(s.key);
    if (it == all.end()) throw std::logic_error("TwoHandNet: no tensor for " + s.key);
    out.emplace_back(s.key, it->second);
  }
  if (out.size() != all.size())
    throw std::logic_error("TwoHandNet: the module holds tensors the state dict does not list");
  return out;
}

torch::Tensor TwoHandNetImpl::find_state(const std::string& key) const {
  for (const auto& p : named_parameters(true))
    if (p.key() == key) return p.value();
  for (const auto& b : named_buffers(true))
    if (b.key() == key) return b.value();
  return {};
}

void load_rule_weights(TwoHandNetImpl& net, const std::string& salt) {
  torch::NoGradGuard no_grad;
  for (auto& [key, t] : net.state_dict_entries()) {
    const core::net::ParamSpec* spec = nullptr;
    for (const auto& s : core::net::expected_state_dict())
      if (s.key == key) spec = &s;
    if (spec->role == core::net::ParamRole::kCounter) {
      t.zero_();
      continue;
    }
    if (spec->role == core::net::ParamRole::kManoBuffer) continue;
    torch::Tensor cpu = torch::empty(t.sizes(), torch::kFloat32);
    const uint64_t seed = core::net::rule_seed(salt, key);
    const core::net::RuleParams params = core::net::rule_params(key, spec->shape);
    float* dst = cpu.data_ptr<float>();
    at::parallel_for(0, cpu.numel(), int64_t{1} << 16, [&](int64_t begin, int64_t end) {
      core::net::fill_rule_range(seed, params, static_cast<uint64_t>(begin),
                                 static_cast<uint64_t>(end - begin), dst + begin);
    });
    t.copy_(cpu);
  }
}

void load_checkpoint_weights(TwoHandNetImpl& net, const core::formats::Checkpoint& checkpoint) {
  torch::NoGradGuard no_grad;
  std::vector<std::string> problems;
  const auto entries = net.state_dict_entries();
  std::unordered_map<std::string, core::net::ParamRole> roles;
  for (const auto& s : core::net::expected_state_dict()) roles.emplace(s.key, s.role);
  for (auto& [key, t] : entries) {
    const core::net::ParamRole role = roles.at(key);
    if (role == core::net::ParamRole::kManoBuffer) continue;
    const core::formats::TensorInfo* info = checkpoint.find(key);
    if (!info) {
      // num_batches_tracked and the MANO layer's unused parameters may be
      // absent (older files): keep what the module holds.
      if (role == core::net::ParamRole::kWeight) problems.push_back("missing " + key);
      continue;
    }
    if (info->shape != std::vector<int64_t>(t.sizes().begin(), t.sizes().end())) {
      problems.push_back(
          key + ": " + core::formats::shape_string(info->shape) + ", expected " +
          core::formats::shape_string(std::vector<int64_t>(t.sizes().begin(), t.sizes().end())));
      continue;
    }
    if (role == core::net::ParamRole::kCounter) {
      std::vector<int64_t> v = checkpoint.read(*info).to_int64();
      t.fill_(v.empty() ? 0 : v[0]);
      continue;
    }
    std::vector<float> v = checkpoint.read(*info).to_float();
    t.copy_(torch::from_blob(v.data(), t.sizes(), torch::kFloat32));
  }
  if (!problems.empty()) {
    std::ostringstream msg;
    msg << checkpoint.path() << ": cannot initialise the network (" << problems.size()
        << " problem(s)):";
    for (size_t i = 0; i < problems.size() && i < 32; ++i) msg << "\n  " << problems[i];
    throw std::runtime_error(msg.str());
  }
}

}  // namespace intershape::core::train
