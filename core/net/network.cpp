#include "core/net/network.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>

#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/torch.h>

#include "core/formats/checkpoint.h"
#include "core/net/architecture.h"
#include "core/net/device.h"
#include "core/net/weight_rule.h"
#include "mano/mano_layer.h"
#include "mano/mano_model.h"

namespace intershape::core::net {
namespace {

constexpr double kBnEps = 1e-5;  // nn.BatchNorm2d's default, used everywhere in the reference
constexpr int64_t kDepth = kHeatmapSize;
constexpr int64_t kHeatmapChannels = kJointsPerHand * kDepth;  // 1344 per hand branch

const ParamSpec& spec_of(const std::string& key) {
  static const std::unordered_map<std::string, const ParamSpec*> index = [] {
    std::unordered_map<std::string, const ParamSpec*> m;
    for (const ParamSpec& s : expected_state_dict()) m.emplace(s.key, &s);
    return m;
  }();
  auto it = index.find(key);
  if (it == index.end()) throw std::logic_error("network: no such parameter " + key);
  return *it->second;
}

// ---------------------------------------------------------------------------
// Where float32 parameters come from. take() returns a CPU float32 tensor of
// the key's expected shape; the builder converts and drops it at once, so only
// a few raw tensors are alive at a time (the load peak stays near the model).
class WeightSource {
 public:
  virtual ~WeightSource() = default;
  virtual at::Tensor take(const std::string& key) = 0;
};

class RuleSource final : public WeightSource {
 public:
  explicit RuleSource(std::string salt) : salt_(std::move(salt)) {}
  at::Tensor take(const std::string& key) override {
    const ParamSpec& spec = spec_of(key);
    at::Tensor t = at::empty(spec.shape, at::kFloat);
    const uint64_t seed = rule_seed(salt_, key);
    const RuleParams params = rule_params(key, spec.shape);
    float* dst = t.data_ptr<float>();
    at::parallel_for(0, t.numel(), int64_t{1} << 16, [&](int64_t begin, int64_t end) {
      fill_rule_range(seed, params, static_cast<uint64_t>(begin),
                      static_cast<uint64_t>(end - begin), dst + begin);
    });
    return t;
  }

 private:
  std::string salt_;
};

class CheckpointSource final : public WeightSource {
 public:
  explicit CheckpointSource(const core::formats::Checkpoint& checkpoint)
      : checkpoint_(checkpoint) {}
  at::Tensor take(const std::string& key) override {
    const ParamSpec& spec = spec_of(key);
    const core::formats::TensorInfo* info = checkpoint_.find(key);
    if (!info)
      throw ModelError(checkpoint_.path() + ": missing " + key);  // checked before; defensive
    if (info->dtype == core::formats::DType::kFloat32) {
      // Straight into the destination: no intermediate copy of the data.
      at::Tensor t = at::empty(spec.shape, at::kFloat);
      checkpoint_.read_into(*info, t.data_ptr(), t.nbytes());
      return t;
    }
    std::vector<float> values = checkpoint_.read(*info).to_float();
    return at::from_blob(values.data(), spec.shape, at::kFloat).clone();
  }

 private:
  const core::formats::Checkpoint& checkpoint_;
};

// ---------------------------------------------------------------------------
// The prepared network: BatchNorm folded into the convolution before it, each
// transposed convolution as a sub-pixel convolution, weights on the device in
// the compute dtype (linear layers stay float32: they are cheap, and the MANO
// parameters they produce must not lose precision).

at::Tensor dense(const at::Tensor& t) { return t.is_mkldnn() ? t.to_dense() : t; }

// A convolution. With oneDNN (CPU, float32) its weight is also kept pre-packed
// in oneDNN's blocked layout, so it is not reordered on every call; such a
// conv takes and returns oneDNN (mkldnn) tensors, and callers convert with
// dense() where they need strided access.
struct Conv {
  at::Tensor weight, bias;  // bias may be undefined
  int64_t stride = 1, padding = 0;
  at::Tensor packed_weight, packed_bias;  // defined when pre-packed
  bool packed() const { return packed_weight.defined(); }
  static Conv make(at::Tensor weight, at::Tensor bias, int64_t stride, int64_t padding) {
    Conv c;
    c.weight = std::move(weight);
    c.bias = std::move(bias);
    c.stride = stride;
    c.padding = padding;
    return c;
  }
  at::Tensor operator()(const at::Tensor& x) const {
    if (packed())
      return at::mkldnn_convolution(x.is_mkldnn() ? x : x.to_mkldnn(), packed_weight, packed_bias,
                                    {padding, padding}, {stride, stride}, {1, 1}, 1);
    return at::conv2d(x, weight, bias, {stride, stride}, {padding, padding});
  }
};

// A ResNet bottleneck after folding: both of the network's kinds (with
// BatchNorm after every conv, or without) have this form. Works in either
// layout; with packed convs it returns a oneDNN tensor.
struct Block {
  Conv conv1, conv2, conv3, downsample;
  bool has_downsample = false;
  at::Tensor operator()(const at::Tensor& x) const {
    const at::Tensor in = (conv1.packed() && !x.is_mkldnn()) ? x.to_mkldnn() : x;
    at::Tensor y = conv1(in).relu_();
    y = conv2(y).relu_();
    y = conv3(y);
    y.add_(has_downsample ? downsample(in) : in);
    return y.relu_();
  }
};

struct ResNet {
  Conv stem;
  std::array<std::vector<Block>, 4> layers;
  at::Tensor run_layer(int layer, at::Tensor x) const {
    for (const Block& b : layers[layer]) x = b(x);
    return x;
  }
  at::Tensor run_stem(const at::Tensor& x) const {
    return at::max_pool2d(stem(x).relu_(), {3, 3}, {2, 2}, {1, 1});
  }
};

// ConvTranspose2d(k=4, s=2, p=1) + BN + ReLU as one 2x2 convolution with 4x
// the output channels (one group per output phase) on the input padded by 1,
// then an interleave. Output row 2i+r takes kernel rows {3,1} from input rows
// {i-1, i} when r = 0 and kernel rows {2,0} from rows {i, i+1} when r = 1,
// i.e. the 2x2 window starting at padded row i + r.
struct SubPixelDeconv {
  Conv conv;  // [4*out, in, 2, 2], padding 1
  int64_t out_channels = 0;
  at::Tensor operator()(const at::Tensor& x) const {
    const int64_t b = x.size(0), h = x.size(2), w = x.size(3), c = out_channels;
    at::Tensor phases = dense(conv(x)).relu_();  // [B, 4c, h+1, w+1]
    at::Tensor y = at::empty({b, c, h, 2, w, 2}, x.options());
    for (int64_t ry = 0; ry < 2; ++ry)
      for (int64_t rx = 0; rx < 2; ++rx)
        y.select(5, rx).select(3, ry).copy_(
            phases.narrow(1, (ry * 2 + rx) * c, c).narrow(2, ry, h).narrow(3, rx, w));
    return y.view({b, c, 2 * h, 2 * w});
  }
};

struct HeatmapHead {
  std::array<SubPixelDeconv, 3> deconv;
  Conv final_conv;  // 1x1, 256 -> 1344, bias
  at::Tensor operator()(at::Tensor x) const {
    for (const SubPixelDeconv& d : deconv) x = d(x);
    return dense(final_conv(x));
  }
};

struct Linear {
  at::Tensor weight, bias;
  at::Tensor operator()(const at::Tensor& x) const {
    // One row: a matrix-vector product is ~2.5x faster than the GEMM path here.
    if (x.size(0) == 1 && x.is_cpu()) return at::addmv(bias, weight, x[0]).unsqueeze(0);
    return at::linear(x, weight, bias);
  }
};

struct ManoBranch {
  std::array<Linear, 4> base;
  Linear pose, shape;
  std::pair<at::Tensor, at::Tensor> operator()(at::Tensor x) const {
    for (const Linear& l : base) x = l(x).relu_();
    return {pose(x), shape(x)};
  }
};

struct Model {
  ResNet internet;                   // heatmap_predictor.backbone_net.resnet
  std::array<HeatmapHead, 2> heads;  // joint_deconv_k + joint_conv_k, right then left
  Linear hand_fc0, hand_fc2;
  ResNet meshreg;                     // mesh_reg.base_net
  std::array<ManoBranch, 2> branch0;  // [right, left]
  Linear trans_decoder, trans_final;
  std::array<std::array<ManoBranch, 3>, 2> cascade;  // [hand][stage-1]
  std::array<std::array<Block, 3>, 2> extractor;     // [hand][stage-1]
  at::Tensor mean, std;                              // ImageNet normalisation, [1,3,1,1] float32
};

class Builder {
 public:
  Builder(WeightSource& source, at::Device device, at::ScalarType dtype, bool onednn)
      : source_(source), device_(device), dtype_(dtype), onednn_(onednn) {}

  Model build() {
    Model m;
    const std::string h = "heatmap_predictor.";
    m.internet = resnet(h + "backbone_net.resnet", true);
    for (int k = 0; k < 2; ++k) {
      const std::string p = h + "pose_net.joint_deconv_" + std::to_string(k + 1);
      HeatmapHead& head = m.heads[k];
      head.deconv[0] = deconv_bn(p + ".0.weight", p + ".1");
      head.deconv[1] = deconv_bn(p + ".3.weight", p + ".4");
      head.deconv[2] = deconv_bn(p + ".6.weight", p + ".7");
      const std::string c = h + "pose_net.joint_conv_" + std::to_string(k + 1) + ".0";
      head.final_conv = Conv::make(compute(take(c + ".weight")), compute(take(c + ".bias")), 1, 0);
    }
    m.hand_fc0 = linear(h + "pose_net.hand_fc.0");
    m.hand_fc2 = linear(h + "pose_net.hand_fc.2");

    const std::string r = "mesh_reg.";
    m.meshreg = resnet(r + "base_net", false);
    m.branch0[0] = mano_branch(r + "right_mano_branch");
    m.branch0[1] = mano_branch(r + "left_mano_branch");
    m.trans_decoder = linear(r + "trans_branch.decoder.0");
    m.trans_final = linear(r + "trans_branch.final_layer");
    for (int hand = 0; hand < 2; ++hand) {
      const std::string side = hand == 0 ? "right" : "left";
      for (int i = 0; i < 3; ++i) {
        const std::string n = std::to_string(i);
        m.cascade[hand][i] = mano_branch(r + "cascaded_" + side + "_mano_branch_list." + n);
        const std::string p = r + "cascaded_" + side + "_feature_extractor_list." + n;
        const int64_t stride = int64_t{1} << i;
        Block& b = m.extractor[hand][i];
        b.conv1 = Conv::make(compute(take(p + ".conv1.weight")), {}, 1, 0);
        b.conv2 = Conv::make(compute(take(p + ".conv2.weight")), {}, stride, 1);
        b.conv3 = Conv::make(compute(take(p + ".conv3.weight")), {}, 1, 0);
        b.downsample = Conv::make(compute(take(p + ".downsample.weight")), {}, stride, 0);
        b.has_downsample = true;
        b = pack(std::move(b));
      }
    }
    const auto opts = at::TensorOptions().dtype(at::kFloat).device(device_);
    m.mean = at::tensor(std::vector<float>{0.485f, 0.456f, 0.406f}, opts).view({1, 3, 1, 1});
    m.std = at::tensor(std::vector<float>{0.229f, 0.224f, 0.225f}, opts).view({1, 3, 1, 1});
    return m;
  }

 private:
  at::Tensor take(const std::string& key) { return source_.take(key); }
  at::Tensor compute(const at::Tensor& t) { return t.to(device_, dtype_).contiguous(); }
  at::Tensor float32(const at::Tensor& t) { return t.to(device_, at::kFloat).contiguous(); }

  // Folds BatchNorm (eval) into the conv before it, in double.
  std::pair<at::Tensor, at::Tensor> bn_scale_shift(const std::string& bn) {
    at::Tensor gamma = take(bn + ".weight").to(at::kDouble);
    at::Tensor beta = take(bn + ".bias").to(at::kDouble);
    at::Tensor mean = take(bn + ".running_mean").to(at::kDouble);
    at::Tensor var = take(bn + ".running_var").to(at::kDouble);
    at::Tensor scale = gamma / (var + kBnEps).sqrt();
    return {scale, beta - mean * scale};
  }

  Conv conv_bn(const std::string& conv_key, const std::string& bn, int64_t stride,
               int64_t padding) {
    auto [scale, shift] = bn_scale_shift(bn);
    at::Tensor w = take(conv_key).to(at::kDouble) * scale.view({-1, 1, 1, 1});
    return Conv::make(compute(w), compute(shift), stride, padding);
  }

  SubPixelDeconv deconv_bn(const std::string& key, const std::string& bn) {
    auto [scale, shift] = bn_scale_shift(bn);
    at::Tensor w = take(key).to(at::kDouble);  // [in, out, 4, 4]
    const int64_t in = w.size(0), out = w.size(1);
    static constexpr int64_t kTap[2][2] = {{3, 1}, {2, 0}};  // [phase][window tap] -> kernel index
    at::Tensor packed = at::empty({4, out, in, 2, 2}, w.options());
    for (int ry = 0; ry < 2; ++ry)
      for (int rx = 0; rx < 2; ++rx)
        for (int a = 0; a < 2; ++a)
          for (int b = 0; b < 2; ++b)
            packed.select(0, ry * 2 + rx)
                .select(3, b)
                .select(2, a)
                .copy_(w.select(3, kTap[rx][b]).select(2, kTap[ry][a]).t() * scale.unsqueeze(1));
    SubPixelDeconv d;
    d.conv = pack(
        Conv::make(compute(packed.view({4 * out, in, 2, 2})), compute(shift.repeat({4})), 1, 1));
    d.out_channels = out;
    return d;
  }

  Linear linear(const std::string& p) {
    return {float32(take(p + ".weight")), float32(take(p + ".bias"))};
  }

  ManoBranch mano_branch(const std::string& p) {
    ManoBranch b;
    for (int i = 0; i < 4; ++i) b.base[i] = linear(p + ".base_layer." + std::to_string(2 * i));
    b.pose = linear(p + ".pose_reg");
    b.shape = linear(p + ".shape_reg.0");
    return b;
  }

  ResNet resnet(const std::string& p, bool with_bn) {
    ResNet net;
    net.stem = pack(conv_bn(p + ".conv1.weight", p + ".bn1", 2, 3));
    const int blocks[4] = {3, 4, 6, 3};
    for (int layer = 0; layer < 4; ++layer) {
      for (int i = 0; i < blocks[layer]; ++i) {
        const std::string q = p + ".layer" + std::to_string(layer + 1) + "." + std::to_string(i);
        const int64_t stride = (i == 0 && layer > 0) ? 2 : 1;
        Block b;
        if (with_bn) {
          b.conv1 = conv_bn(q + ".conv1.weight", q + ".bn1", 1, 0);
          b.conv2 = conv_bn(q + ".conv2.weight", q + ".bn2", stride, 1);
          b.conv3 = conv_bn(q + ".conv3.weight", q + ".bn3", 1, 0);
        } else {
          b.conv1 = Conv::make(compute(take(q + ".conv1.weight")), {}, 1, 0);
          b.conv2 = Conv::make(compute(take(q + ".conv2.weight")), {}, stride, 1);
          b.conv3 = Conv::make(compute(take(q + ".conv3.weight")), {}, 1, 0);
        }
        if (i == 0) {
          b.downsample = conv_bn(q + ".downsample.0.weight", q + ".downsample.1", stride, 0);
          b.has_downsample = true;
        }
        net.layers[layer].push_back(pack(std::move(b)));
      }
    }
    return net;
  }

  // Pre-packs a conv's weight for oneDNN (see Conv).
  Conv pack(Conv c) {
    if (!onednn_) return c;
    c.packed_weight = at::mkldnn_reorder_conv2d_weight(c.weight.to_mkldnn(), {c.padding, c.padding},
                                                       {c.stride, c.stride}, {1, 1}, 1);
    if (c.bias.defined()) c.packed_bias = c.bias.to_mkldnn();
    c.weight = at::Tensor();  // the packed copy is the only one used
    return c;
  }
  Block pack(Block b) {
    b.conv1 = pack(std::move(b.conv1));
    b.conv2 = pack(std::move(b.conv2));
    b.conv3 = pack(std::move(b.conv3));
    if (b.has_downsample) b.downsample = pack(std::move(b.downsample));
    return b;
  }

  WeightSource& source_;
  at::Device device_;
  at::ScalarType dtype_;
  bool onednn_;
};

// ---------------------------------------------------------------------------
// The stage-i joint map (NETWORK.md section 5), written with the reference's
// operations in the reference's order so the float32 results agree closely.
// xyc [B,21,3], joints [B,21,3] mm -> [B,S,S].
at::Tensor register_map(const at::Tensor& xyc, const at::Tensor& joints, int64_t size) {
  const int64_t b = joints.size(0), n = joints.size(1);
  const at::Tensor xy = joints.narrow(2, 0, 2);
  at::Tensor eye = at::eye(2, joints.options()).view({1, 1, 2, 2}).expand({b, n, 2, 2});
  at::Tensor rows = at::cat({xy.unsqueeze(3), eye}, 3);  // [B,n,2,3]: [J_x 1 0], [J_y 0 1]
  at::Tensor c = xyc.select(2, 2).view({b, n, 1, 1});
  at::Tensor wm = (c * rows).reshape({b, 2 * n, 3});
  at::Tensor wb = (c * xyc.narrow(2, 0, 2).unsqueeze(3)).reshape({b, 2 * n, 1});
  at::Tensor mtm = at::bmm(wm.transpose(2, 1), wm);
  at::Tensor mtb = at::bmm(wm.transpose(2, 1), wb);
  at::Tensor st = at::bmm(at::inverse(mtm), mtb).select(2, 0);  // [B,3]: s, tx, ty
  const double ratio = static_cast<double>(size) / kHeatmapSize;
  at::Tensor p = (xy * st.narrow(1, 0, 1).unsqueeze(1) + st.narrow(1, 1, 2).unsqueeze(1)) * ratio;
  at::Tensor grid = at::arange(size, joints.options()).view({1, 1, size});
  at::Tensor dx = p.select(2, 0).unsqueeze(2) - grid;  // [B,n,S]
  at::Tensor dy = p.select(2, 1).unsqueeze(2) - grid;
  at::Tensor g =
      at::exp(-(dx.unsqueeze(2).pow(2) + dy.unsqueeze(3).pow(2)) / 3.0);  // [B,n,S(y),S(x)]
  return at::rsub(at::prod(at::rsub(g, 1), 1), 1);
}

std::vector<float> to_vector(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU, at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

template <size_t N>
void copy_to(std::array<float, N>& dst, const at::Tensor& t) {
  std::vector<float> v = to_vector(t);
  if (v.size() != N) throw std::logic_error("network: unexpected output size");
  std::copy(v.begin(), v.end(), dst.begin());
}

// oneDNN pre-packed convolutions: CPU float32 with a LibTorch built with
// oneDNN, unless the configuration turns them off (NetworkConfig::onednn).
bool use_onednn(bool wanted, const at::Device& device, at::ScalarType dtype) {
  return wanted && device.is_cpu() && dtype == at::kFloat && at::hasMKLDNN();
}

}  // namespace

// ---------------------------------------------------------------------------

std::vector<float> input_to_chw(const RgbView& input) {
  if (!input.data || input.width <= 0 || input.height <= 0)
    throw std::invalid_argument("network input: the image is empty");
  if (input.width != kInputSize || input.height != kInputSize)
    throw std::invalid_argument("network input: expected 256x256 pixels, got " +
                                std::to_string(input.width) + "x" + std::to_string(input.height) +
                                " (see core/preprocess.h)");
  if (input.stride_bytes < 3 * input.width)
    throw std::invalid_argument("network input: row stride " + std::to_string(input.stride_bytes) +
                                " bytes is shorter than a row of " + std::to_string(input.width) +
                                " RGB pixels");
  constexpr int kPlane = kInputSize * kInputSize;
  std::vector<float> out(3 * kPlane);
  for (int y = 0; y < kInputSize; ++y) {
    const uint8_t* row =
        input.data + static_cast<size_t>(y) * static_cast<size_t>(input.stride_bytes);
    for (int x = 0; x < kInputSize; ++x)
      for (int c = 0; c < 3; ++c)
        out[c * kPlane + y * kInputSize + x] = static_cast<float>(row[3 * x + c]) / 255.0f;
  }
  return out;
}

struct TwoHandNetwork::Impl {
  Model model;
  std::array<std::unique_ptr<mano::ManoLayer>, 2> mano;  // [right, left]
  std::array<std::vector<int32_t>, 2> faces;
  std::shared_ptr<const mano::ManoPair> models;
  at::Device device = at::kCPU;
  at::ScalarType dtype = at::kFloat;
  std::string description;

  using Clock = std::chrono::steady_clock;
  Clock::time_point now() const {
    if (device.is_cuda()) torch::cuda::synchronize(device.index());
    return Clock::now();
  }
  static double ms(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  }

  std::vector<NetworkOutput> run(const at::Tensor& img, const EstimateOptions& options);
};

std::vector<NetworkOutput> TwoHandNetwork::Impl::run(const at::Tensor& img,
                                                     const EstimateOptions& options) {
  c10::InferenceMode inference_mode;
  const Model& m = model;
  const int64_t batch = img.size(0);
  NetworkOutput::Timings timings;
  const auto t0 = now();

  // 1. InterNet on the un-normalised image.
  at::Tensor feat = m.internet.run_stem(img.to(dtype));
  for (int l = 0; l < 4; ++l) feat = m.internet.run_layer(l, feat);
  feat = dense(feat);
  std::array<at::Tensor, 2> hm = {m.heads[0](feat), m.heads[1](feat)};  // [B,1344,64,64] each
  at::Tensor gap = feat.mean({2, 3}).to(at::kFloat);
  at::Tensor presence = at::sigmoid(m.hand_fc2(m.hand_fc0(gap).relu_()));  // [B,2]
  const auto t1 = now();
  timings.internet_ms = ms(t0, t1);

  // 2. One pass over the heatmaps: depth maxima once; attention and the
  // argmax come from them; the downsampled heatmap is a strided view.
  std::array<at::Tensor, 2> depth_max;
  for (int h = 0; h < 2; ++h)
    depth_max[h] = hm[h].view({batch, kJointsPerHand, kDepth, 64, 64}).amax(2);
  at::Tensor dm = at::cat({depth_max[0], depth_max[1]}, 1);  // [B,42,64,64]
  at::Tensor attention =
      at::cat({depth_max[0].amax(1, true), depth_max[1].amax(1, true)}, 1);  // [B,2,64,64]
  at::Tensor xyc;
  {
    auto [val_y, idx_y] = at::max(dm, 2);     // over y: [B,42,64(x)]
    auto [val_x, idx_x] = at::max(val_y, 2);  // over x: [B,42]
    at::Tensor x = idx_x.unsqueeze(2);
    at::Tensor y = idx_y.gather(2, x);
    xyc = at::cat({x.to(at::kFloat), y.to(at::kFloat), val_x.unsqueeze(2).to(at::kFloat)},
                  2);  // [B,42,3]
  }
  auto downsampled = [&](int h) {
    return hm[h].slice(1, 0, kHeatmapChannels, 4).slice(2, 0, 64, 2).slice(3, 0, 64, 2);
  };
  const auto t2 = now();
  timings.attention_ms = ms(t1, t2);

  // 3. MeshRegNet on the normalised image, the heatmap joined at layer3.
  at::Tensor x = m.meshreg.run_stem(img.sub(m.mean).div(m.std).to(dtype));
  x = m.meshreg.run_layer(0, x);
  at::Tensor l2 = dense(m.meshreg.run_layer(1, x));
  at::Tensor l3_native = m.meshreg.run_layer(2, at::cat({l2, downsampled(0), downsampled(1)}, 1));
  at::Tensor l3 = dense(l3_native);
  at::Tensor l4 = dense(m.meshreg.run_layer(3, l3_native));
  at::Tensor g = l4.mean(3).mean(2).to(at::kFloat);
  at::Tensor att8 = attention.slice(2, 0, 64, 8).slice(3, 0, 64, 8);  // nearest 64 -> 8
  std::array<at::Tensor, 2> pose, shape, joints, verts;
  std::array<std::array<at::Tensor, kStages>, 2> stage_pose, stage_shape, stage_joints, stage_verts;
  for (int h = 0; h < 2; ++h) {
    at::Tensor f = (l4 * att8.narrow(1, h, 1)).mean({2, 3}).to(at::kFloat);
    std::tie(pose[h], shape[h]) = m.branch0[h](f);
  }
  at::Tensor trans = m.trans_final(m.trans_decoder(g).relu_());  // [B,4]
  const auto t3 = now();
  timings.meshreg_ms = ms(t2, t3);

  double mano_ms = 0;
  auto run_mano = [&](int stage) {
    const auto a = now();
    for (int h = 0; h < 2; ++h) {
      mano::ManoLayer::Output out = mano[h]->forward(pose[h], shape[h]);
      joints[h] = out.joints;
      verts[h] = out.vertices;
      stage_pose[h][stage] = pose[h];
      stage_shape[h][stage] = shape[h];
      stage_joints[h][stage] = joints[h];
      stage_verts[h][stage] = verts[h];
    }
    mano_ms += ms(a, now());
  };
  run_mano(0);

  // 4. Three cascaded refinements on layer4, layer3, layer2.
  const std::array<at::Tensor, 3> phi = {l4, l3, l2};
  std::array<std::array<at::Tensor, 3>, 2> maps;  // [hand][stage-1]
  const auto t4 = now();
  const double mano_ms_stage0 = mano_ms;
  for (int i = 0; i < 3; ++i) {
    const int64_t size = phi[i].size(2);
    std::array<at::Tensor, 2> f;
    for (int h = 0; h < 2; ++h) {
      maps[h][i] = register_map(xyc.narrow(1, h * kJointsPerHand, kJointsPerHand), joints[h], size);
      f[h] = dense(m.extractor[h][i](phi[i] * maps[h][i].unsqueeze(1).to(dtype)))
                 .mean({2, 3})
                 .to(at::kFloat);
    }
    std::array<at::Tensor, 2> next_pose, next_shape;
    for (int h = 0; h < 2; ++h) {
      const int o = 1 - h;
      at::Tensor in = at::cat({shape[o], pose[o], shape[h], pose[h], f[h], trans}, 1);  // [B,2168]
      std::tie(next_pose[h], next_shape[h]) = m.cascade[h][i](in);
    }
    pose = next_pose;
    shape = next_shape;
    run_mano(i + 1);
  }
  const auto t5 = now();
  timings.mano_ms = mano_ms;
  timings.cascade_ms = ms(t4, t5) - (mano_ms - mano_ms_stage0);  // MANO is counted apart
  timings.total_ms = ms(t0, t5);

  // Outputs.
  std::vector<NetworkOutput> outputs(static_cast<size_t>(batch));
  for (int64_t b = 0; b < batch; ++b) {
    NetworkOutput& o = outputs[static_cast<size_t>(b)];
    for (int h = 0; h < 2; ++h) {
      HandOutput& hand = o.hands[h];
      copy_to(hand.params.pose, pose[h][b]);
      copy_to(hand.params.shape, shape[h][b]);
      hand.joints3d = to_vector(joints[h][b]);
      hand.verts3d = to_vector(verts[h][b]);
      hand.presence = presence[b][h].item<float>();
    }
    copy_to(o.trans, trans[b]);
    std::vector<float> xyc_b = to_vector(xyc[b]);
    for (int j = 0; j < kJoints; ++j)
      for (int k = 0; k < 3; ++k) o.xyc[j][k] = xyc_b[j * 3 + k];
    o.attention = to_vector(attention[b]);
    if (options.stage_details) {
      o.stages.resize(kStages);
      for (int s = 0; s < kStages; ++s)
        for (int h = 0; h < 2; ++h) {
          copy_to(o.stages[s].params[h].pose, stage_pose[h][s][b]);
          copy_to(o.stages[s].params[h].shape, stage_shape[h][s][b]);
          o.stages[s].joints3d[h] = to_vector(stage_joints[h][s][b]);
          o.stages[s].verts3d[h] = to_vector(stage_verts[h][s][b]);
        }
    }
    if (options.attention_details) {
      auto detail = std::make_shared<AttentionDetail>();
      detail->heatmap_depth_max = to_vector(dm[b]);
      for (int h = 0; h < 2; ++h)
        for (int i = 0; i < 3; ++i) detail->stage_maps[h][i] = to_vector(maps[h][i][b]);
      if (options.full_heatmaps) detail->heatmaps = to_vector(at::cat({hm[0][b], hm[1][b]}, 0));
      o.attention_detail = std::move(detail);
    }
    o.timings = timings;
  }
  return outputs;
}

TwoHandNetwork::TwoHandNetwork(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TwoHandNetwork::~TwoHandNetwork() = default;

std::unique_ptr<TwoHandNetwork> TwoHandNetwork::create(const NetworkConfig& config) {
  const DeviceChoice device = resolve_device(config.device);
  const at::Device dev = device.cuda
                             ? at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(device.index))
                             : at::Device(at::kCPU);
  at::ScalarType dtype = at::kFloat;
  if (config.precision == "fp16") {
    if (!device.cuda)
      throw ModelError(
          "precision fp16 needs a CUDA device (half-precision convolutions are not implemented on "
          "CPU); "
          "device is " +
          device.name);
    dtype = at::kHalf;
  } else if (config.precision != "fp32") {
    throw ModelError("unknown precision '" + config.precision + "' (expected fp32 or fp16)");
  }
  if (config.threads < 0)
    throw ModelError("threads must be >= 0 (0 = all cores), got " + std::to_string(config.threads));
  const int threads = config.threads > 0
                          ? config.threads
                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);

  auto impl = std::make_unique<Impl>();
  impl->device = dev;
  impl->dtype = dtype;
  const std::string weights_name = config.synthetic ? "synthetic weights" : config.checkpoint;

  try {
    std::unique_ptr<core::formats::Checkpoint> checkpoint;
    std::unique_ptr<WeightSource> source;
    if (config.synthetic) {
      if (config.mano_dir.empty())
        throw ModelError(
            "synthetic weights need a MANO folder (NetworkConfig::mano_dir, e.g. --mano DIR)");
      source = std::make_unique<RuleSource>(config.synthetic_salt);
    } else {
      if (config.checkpoint.empty())
        throw ModelError("no checkpoint given (NetworkConfig::checkpoint)");
      std::error_code ec;
      if (!std::filesystem::is_regular_file(config.checkpoint, ec))
        throw ModelError("checkpoint not found or not a file: " + config.checkpoint);
      try {
        checkpoint = core::formats::Checkpoint::open(config.checkpoint);
      } catch (const core::formats::CheckpointError& e) {
        throw ModelError(e.what());
      }
      std::vector<FoundTensor> found;
      for (const core::formats::TensorInfo& t : checkpoint->tensors())
        found.push_back({t.key, t.shape, t.dtype});
      const std::string problems = check_state_dict(found, config.mano_dir.empty());
      if (!problems.empty()) throw ModelError(config.checkpoint + ": " + problems);
      source = std::make_unique<CheckpointSource>(*checkpoint);
    }

    mano::ManoPair pair;
    if (!config.mano_dir.empty()) {
      pair = mano::load_mano_dir(config.mano_dir);
    } else {
      const core::formats::Checkpoint& ck = *checkpoint;
      const mano::ArrayLookup lookup = core::formats::state_dict_lookup(ck);
      pair.right = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.r.", false, ck.path());
      pair.left = mano::mano_from_state_dict(lookup, "mesh_reg.mano_layer.l.", true, ck.path());
    }
    // `transl` is a learned parameter of the network (the trainer updates it),
    // not MANO model data: it always comes from the weights, also when the
    // MANO buffers come from the pkl files.
    for (int h = 0; h < 2; ++h) {
      mano::ManoModel& model = h == 0 ? pair.right : pair.left;
      at::Tensor t =
          source->take(std::string("mesh_reg.mano_layer.") + (h == 0 ? "r" : "l") + ".transl");
      for (int k = 0; k < 3; ++k) model.transl[k] = t.data_ptr<float>()[k];
    }

    Builder builder(*source, dev, dtype, use_onednn(config.onednn, dev, dtype));
    impl->model = builder.build();
    impl->faces[0] = pair.right.faces;
    impl->faces[1] = pair.left.faces;
    impl->models = std::make_shared<const mano::ManoPair>(pair);
    impl->mano[0] = std::make_unique<mano::ManoLayer>(pair.right, dev);
    impl->mano[1] = std::make_unique<mano::ManoLayer>(pair.left, dev);
  } catch (const ModelError&) {
    throw;
  } catch (const core::formats::CheckpointError& e) {
    throw ModelError(e.what());
  } catch (const mano::ManoError& e) {
    throw ModelError(std::string("MANO model: ") + e.what());
  } catch (const std::exception& e) {
    throw ModelError("cannot build the network from " + weights_name + ": " + e.what());
  }

  std::ostringstream d;
  d << device.name;
  if (!device.cuda) d << ", " << threads << (threads == 1 ? " thread" : " threads");
  d << ", " << (dtype == at::kHalf ? "fp16" : "fp32") << ", "
    << (config.synthetic ? "synthetic weights" : config.checkpoint);
  impl->description = d.str();

  return std::unique_ptr<TwoHandNetwork>(new TwoHandNetwork(std::move(impl)));
}

NetworkOutput TwoHandNetwork::estimate(const RgbView& input, const EstimateOptions& options) {
  return estimate_batch({input}, options).front();
}

std::vector<NetworkOutput> TwoHandNetwork::estimate_batch(const std::vector<RgbView>& inputs,
                                                          const EstimateOptions& options) {
  if (inputs.empty()) throw std::invalid_argument("network input: empty batch");
  constexpr int64_t kPlanes = 3 * kInputSize * kInputSize;
  std::vector<float> host(static_cast<size_t>(kPlanes) * inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::vector<float> one = input_to_chw(inputs[i]);
    std::memcpy(host.data() + i * kPlanes, one.data(), one.size() * sizeof(float));
  }
  return estimate_batch_chw(host.data(), static_cast<int>(inputs.size()), options);
}

std::vector<NetworkOutput> TwoHandNetwork::estimate_batch_chw(const float* nchw, int batch,
                                                              const EstimateOptions& options) {
  if (batch < 1 || !nchw) throw std::invalid_argument("network input: empty batch");
  at::Tensor img =
      at::from_blob(const_cast<float*>(nchw), {batch, 3, kInputSize, kInputSize}, at::kFloat)
          .to(impl_->device, at::kFloat, /*non_blocking=*/false, /*copy=*/true);
  return impl_->run(img, options);
}

const std::array<std::vector<int32_t>, 2>& TwoHandNetwork::faces() const { return impl_->faces; }

std::shared_ptr<const mano::ManoPair> TwoHandNetwork::hand_models() const {
  return impl_->models;
}

std::string TwoHandNetwork::describe() const { return impl_->description; }

}  // namespace intershape::core::net
