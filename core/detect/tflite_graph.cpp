#include "core/detect/tflite_graph.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>

#include "core/detect/tflite_model.h"

namespace intershape::core::detect {

namespace {

// Activations of rank 4 are kept in ATen's NCHW order between ops ("internal"
// layout), so that convolutions, pooling and the element-wise ops need no
// transposes; ops whose meaning depends on the order (RESHAPE, FULLY_CONNECTED,
// MEAN without keep_dims, graph outputs) view their input in TFLite's NHWC
// order ("logical" layout) first. Other ranks are the same in both.
at::Tensor to_internal(const at::Tensor& logical) {
  return logical.dim() == 4 ? logical.permute({0, 3, 1, 2}) : logical;
}
at::Tensor to_logical(const at::Tensor& internal) {
  return internal.dim() == 4 ? internal.permute({0, 2, 3, 1}) : internal;
}
// The internal dimension holding NHWC axis `axis` of a rank-`rank` tensor.
int64_t internal_dim(int64_t axis, int64_t rank) {
  static const int64_t kMap[4] = {0, 2, 3, 1};
  return rank == 4 ? kMap[axis] : axis;
}

std::string shape_str(at::IntArrayRef s) {
  std::ostringstream o;
  o << '[';
  for (size_t i = 0; i < s.size(); ++i) o << (i ? "x" : "") << s[i];
  o << ']';
  return o.str();
}

// TF's SAME padding: the output is ceil(in / stride) and the missing rows go
// after the input when the total is odd (asymmetric, unlike PyTorch's).
std::pair<int64_t, int64_t> same_padding(int64_t in, int64_t kernel, int64_t stride,
                                         int64_t dilation) {
  const int64_t out = (in + stride - 1) / stride;
  const int64_t effective = (kernel - 1) * dilation + 1;
  const int64_t total = std::max<int64_t>((out - 1) * stride + effective - in, 0);
  return {total / 2, total - total / 2};
}

struct Step {
  TfliteOp op = TfliteOp::kAdd;
  std::string where;    // "operator 12 (CONV_2D)" for messages
  std::vector<int> in;  // tensor indices read at run time (-1: constant operand in consts)
  std::vector<at::Tensor> consts;  // constant operands in internal layout, same positions as `in`
  int out = -1;
  std::vector<int64_t> out_shape;  // the file's (logical) output shape
  TfliteActivation act = TfliteActivation::kNone;
  // Convolution and pooling.
  at::Tensor weight, bias;
  std::vector<int64_t> pad_before;  // explicit constant_pad_nd (empty: none), internal order
  int64_t pad_value_is_neg_inf = 0;
  std::vector<int64_t> padding{0, 0}, stride{1, 1}, dilation{1, 1}, kernel{1, 1};
  int64_t groups = 1;
  // PRELU: per-channel alpha (1-D) when possible, else a broadcastable tensor.
  bool prelu_per_channel = false;
  // RESIZE_BILINEAR: source rows/columns and weights.
  at::Tensor y0, y1, wy, x0, x1, wx;
  // CONCATENATION / MEAN.
  int64_t dim = 0;
  std::vector<int64_t> dims;
  bool keep_dims = false;
  // FULLY_CONNECTED.
  int64_t fc_k = 0;
};

void apply_activation(at::Tensor& t, TfliteActivation a) {
  switch (a) {
    case TfliteActivation::kNone:
      break;
    case TfliteActivation::kRelu:
      t.relu_();
      break;
    case TfliteActivation::kReluN1To1:
      t.clamp_(-1.0, 1.0);
      break;
    case TfliteActivation::kRelu6:
      t.clamp_(0.0, 6.0);
      break;
  }
}

}  // namespace

struct TfliteGraph::Impl {
  std::string path;
  at::Device device{at::kCPU};
  std::vector<TfliteTensorInfo> inputs_info, outputs_info;
  std::vector<int> input_tensors, output_tensors;
  std::vector<Step> steps;
  // release[k]: tensors whose last reader is step k (freed after it, so the
  // allocator reuses their memory for the next ops).
  std::vector<std::vector<int>> release;
  size_t n_tensors = 0;

  [[noreturn]] void fail(const std::string& what) const { throw TfliteError(path + ": " + what); }

  std::vector<at::Tensor> execute(const std::vector<at::Tensor>& inputs, bool check_shapes) const;
};

namespace {

class Builder {
 public:
  Builder(const TfliteModel& model, TfliteGraph::Impl& g)
      : m_(model), g_(g), folded_(model.tensors.size()) {}

  void build() {
    for (size_t k = 0; k < m_.operators.size(); ++k) add(k, m_.operators[k]);
  }

 private:
  const TfliteModel& m_;
  TfliteGraph::Impl& g_;
  std::vector<at::Tensor> folded_;  // DEQUANTIZE outputs of constants (logical, float32, CPU)

  [[noreturn]] void fail(const Step& s, const std::string& what) const {
    g_.fail(s.where + ": " + what);
  }

  const TfliteTensor& tensor(int i) const { return m_.tensors[static_cast<size_t>(i)]; }
  bool is_const(int i) const { return tensor(i).is_constant() || folded_[i].defined(); }

  // A constant as a logical CPU tensor (float32, or int64 for int32 data).
  at::Tensor constant(int i) const {
    if (folded_[i].defined()) return folded_[i];
    const TfliteTensor& t = tensor(i);
    std::vector<int64_t> shape(t.shape.begin(), t.shape.end());
    if (t.type == TfliteType::kInt32) {
      at::Tensor c = at::empty(shape, at::kInt);
      std::memcpy(c.data_ptr(), t.data.data(), t.data.size());
      return c.to(at::kLong);
    }
    at::Tensor c = at::empty(shape, t.type == TfliteType::kFloat16 ? at::kHalf : at::kFloat);
    std::memcpy(c.data_ptr(), t.data.data(), t.data.size());
    return c.to(at::kFloat);
  }

  at::Tensor on_device(const at::Tensor& t) const { return t.contiguous().to(g_.device); }

  std::vector<int64_t> ints(const Step& s, int i) const {
    at::Tensor c = constant(i).contiguous();
    if (c.scalar_type() != at::kLong) fail(s, "'" + tensor(i).name + "' must be int32");
    return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
  }

  const std::vector<int64_t>& shape(int i) const {
    return m_.tensors[static_cast<size_t>(i)].shape;
  }

  void require_rank(const Step& s, int i, size_t rank) const {
    if (shape(i).size() != rank)
      fail(s, "'" + tensor(i).name + "' has rank " + std::to_string(shape(i).size()) +
                  ", expected " + std::to_string(rank));
  }

  // A data input: a run-time tensor, or a constant prepared in internal layout
  // broadcast to `rank` dims.
  void data_input(Step& s, int i, size_t rank) {
    if (is_const(i)) {
      at::Tensor c = constant(i);
      if (static_cast<size_t>(c.dim()) > rank)
        fail(s, "constant '" + tensor(i).name + "' has too many dims");
      std::vector<int64_t> sh(rank - c.dim(), 1);
      sh.insert(sh.end(), c.sizes().begin(), c.sizes().end());
      s.in.push_back(-1);
      s.consts.push_back(on_device(to_internal(c.reshape(sh))));
    } else {
      s.in.push_back(i);
      s.consts.emplace_back();
    }
  }

  void set_padding(Step& s, int input, bool same, bool neg_inf) {
    s.padding = {0, 0};
    if (!same) return;
    const auto [top, bottom] =
        same_padding(shape(input)[1], s.kernel[0], s.stride[0], s.dilation[0]);
    const auto [left, right] =
        same_padding(shape(input)[2], s.kernel[1], s.stride[1], s.dilation[1]);
    const bool symmetric = top == bottom && left == right &&
                           (!neg_inf || (top <= s.kernel[0] / 2 && left <= s.kernel[1] / 2));
    if (symmetric) {
      s.padding = {top, left};
    } else {
      s.pad_before = {left, right, top, bottom};  // constant_pad_nd order: W then H
      s.pad_value_is_neg_inf = neg_inf;
    }
  }

  // The output shape each op computes, from its inputs and prepared weights,
  // compared with the file's before anything runs: a file cannot make the
  // first run allocate more than the shapes it declares (which the reader
  // bounds), and a wrong shape is named here with its op.
  void check_output_shape(const Step& s, const TfliteOperator& o) const {
    const std::vector<int64_t>& in = shape(o.inputs[0]);
    std::vector<int64_t> want;
    auto spatial = [&](int64_t size, int64_t kernel, int64_t stride, int64_t dilation) -> int64_t {
      if (o.padding == TflitePadding::kSame) return (size + stride - 1) / stride;
      const int64_t effective = (kernel - 1) * dilation + 1;
      return size >= effective ? (size - effective) / stride + 1 : 0;
    };
    switch (o.op) {
      case TfliteOp::kConv2d:
      case TfliteOp::kDepthwiseConv2d:
      case TfliteOp::kMaxPool2d:
        want = {in[0], spatial(in[1], s.kernel[0], s.stride[0], s.dilation[0]),
                spatial(in[2], s.kernel[1], s.stride[1], s.dilation[1]),
                o.op == TfliteOp::kMaxPool2d ? in[3] : s.weight.size(0)};
        break;
      case TfliteOp::kPrelu:
      case TfliteOp::kLogistic:
        want = in;
        break;
      case TfliteOp::kAdd: {
        // numpy broadcasting of the two input shapes.
        const std::vector<int64_t>& a = in;
        const std::vector<int64_t>& b = shape(o.inputs[1]);
        const size_t rank = std::max(a.size(), b.size());
        want.assign(rank, 1);
        for (size_t d = 0; d < rank; ++d) {
          const int64_t x = d < rank - a.size() ? 1 : a[d - (rank - a.size())];
          const int64_t y = d < rank - b.size() ? 1 : b[d - (rank - b.size())];
          if (x != y && x != 1 && y != 1)
            fail(s, "cannot broadcast " + shape_str(a) + " with " + shape_str(b));
          want[d] = x == 1 ? y : x;
        }
        break;
      }
      case TfliteOp::kConcatenation: {
        const int64_t rank = static_cast<int64_t>(in.size());
        const int64_t axis = o.axis < 0 ? o.axis + rank : o.axis;
        want = in;
        for (size_t j = 1; j < o.inputs.size(); ++j) {
          const std::vector<int64_t>& other = shape(o.inputs[j]);
          for (int64_t d = 0; d < rank; ++d)
            if (d != axis && other[d] != in[d])
              fail(s, "inputs " + shape_str(in) + " and " + shape_str(other) + " differ");
          want[axis] += other[axis];
        }
        break;
      }
      case TfliteOp::kPad: {
        const std::vector<int64_t> p = ints(s, o.inputs[1]);
        want = in;
        for (size_t d = 0; d < in.size(); ++d) want[d] += p[2 * d] + p[2 * d + 1];
        break;
      }
      case TfliteOp::kResizeBilinear: {
        const std::vector<int64_t> size = ints(s, o.inputs[1]);
        want = {in[0], size[0], size[1], in[3]};
        break;
      }
      case TfliteOp::kFullyConnected: {
        int64_t n_in = 1;
        for (int64_t d : in) n_in *= d;
        if (o.keep_dims) {
          want = in;
          want.back() = s.weight.size(0);
        } else {
          want = {n_in / s.fc_k, s.weight.size(0)};
        }
        break;
      }
      case TfliteOp::kMean: {
        const int64_t rank = static_cast<int64_t>(in.size());
        std::vector<char> reduced(rank, 0);
        for (int64_t a : ints(s, o.inputs[1])) reduced[a < 0 ? a + rank : a] = 1;
        for (int64_t d = 0; d < rank; ++d) {
          if (!reduced[d])
            want.push_back(in[d]);
          else if (o.keep_dims)
            want.push_back(1);
        }
        break;
      }
      case TfliteOp::kReshape:  // element counts compared when prepared
      case TfliteOp::kDequantize:
        return;
    }
    if (want != s.out_shape)
      fail(s, "computes " + shape_str(want) + ", the file says " + shape_str(s.out_shape));
  }

  void add(size_t k, const TfliteOperator& o) {
    Step s;
    s.op = o.op;
    s.where = "operator " + std::to_string(k) + " (" + tflite_op_name(o.op) + ")";
    s.out = o.outputs[0];
    s.out_shape = shape(s.out);
    s.act = o.activation;
    const size_t out_rank = s.out_shape.size();

    switch (o.op) {
      case TfliteOp::kDequantize: {
        // Constant fp16 weights (the parser guarantees it): folded here, once.
        folded_[s.out] = constant(o.inputs[0]);
        return;
      }
      case TfliteOp::kConv2d:
      case TfliteOp::kDepthwiseConv2d: {
        const bool depthwise = o.op == TfliteOp::kDepthwiseConv2d;
        require_rank(s, o.inputs[0], 4);
        require_rank(s, o.inputs[1], 4);
        if (!is_const(o.inputs[1])) fail(s, "weights must be constant");
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        const at::Tensor w = constant(o.inputs[1]);
        const int64_t in_c = shape(o.inputs[0])[3];
        if (depthwise) {
          // 1HWC (C = in_c * multiplier) -> [C, 1, H, W], one group per input channel.
          if (w.size(0) != 1 || w.size(3) != in_c * o.depth_multiplier)
            fail(s, "weights " + shape_str(w.sizes()) + " do not fit the input");
          s.weight = on_device(w.permute({3, 0, 1, 2}));
          s.groups = in_c;
        } else {
          // OHWI -> OIHW.
          if (w.size(3) != in_c)
            fail(s, "weights " + shape_str(w.sizes()) + " do not fit the input");
          s.weight = on_device(w.permute({0, 3, 1, 2}));
        }
        const int64_t out_c = s.weight.size(0);
        if (o.inputs.size() > 2 && o.inputs[2] >= 0) {
          if (!is_const(o.inputs[2])) fail(s, "bias must be constant");
          const at::Tensor b = constant(o.inputs[2]);
          if (b.numel() != out_c)
            fail(s, "bias has " + std::to_string(b.numel()) + " values, expected " +
                        std::to_string(out_c));
          s.bias = on_device(b.reshape({out_c}));
        }
        s.kernel = {s.weight.size(2), s.weight.size(3)};
        s.stride = {o.stride_h, o.stride_w};
        s.dilation = {o.dilation_h, o.dilation_w};
        set_padding(s, o.inputs[0], o.padding == TflitePadding::kSame, false);
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kMaxPool2d: {
        require_rank(s, o.inputs[0], 4);
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        s.kernel = {o.filter_h, o.filter_w};
        s.stride = {o.stride_h, o.stride_w};
        set_padding(s, o.inputs[0], o.padding == TflitePadding::kSame, true);
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kPrelu: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        if (!is_const(o.inputs[1])) fail(s, "alpha must be constant");
        const size_t rank = shape(o.inputs[0]).size();
        at::Tensor alpha = constant(o.inputs[1]);
        if (static_cast<size_t>(alpha.dim()) > rank) fail(s, "alpha has too many dims");
        // Per channel: alpha's only non-1 dim is the last (NHWC channels).
        bool per_channel = rank == 4 && alpha.dim() >= 1 && alpha.size(-1) == shape(o.inputs[0])[3];
        for (int64_t d = 0; d + 1 < alpha.dim(); ++d)
          per_channel = per_channel && alpha.size(d) == 1;
        s.in.push_back(o.inputs[0]);
        if (per_channel) {
          s.prelu_per_channel = true;
          s.weight = on_device(alpha.reshape({-1}));
        } else {
          std::vector<int64_t> sh(rank - alpha.dim(), 1);
          sh.insert(sh.end(), alpha.sizes().begin(), alpha.sizes().end());
          s.weight = on_device(to_internal(alpha.reshape(sh)));
        }
        break;
      }
      case TfliteOp::kAdd: {
        data_input(s, o.inputs[0], out_rank);
        data_input(s, o.inputs[1], out_rank);
        if (s.in[0] < 0 && s.in[1] < 0) fail(s, "both inputs constant is not supported");
        break;
      }
      case TfliteOp::kLogistic: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kConcatenation: {
        int64_t axis = o.axis < 0 ? o.axis + static_cast<int64_t>(out_rank) : o.axis;
        if (axis < 0 || axis >= static_cast<int64_t>(out_rank))
          fail(s, "axis " + std::to_string(o.axis) + " out of range");
        for (int i : o.inputs) {
          if (shape(i).size() != out_rank) fail(s, "inputs of different ranks");
          data_input(s, i, out_rank);
        }
        s.dim = internal_dim(axis, static_cast<int64_t>(out_rank));
        break;
      }
      case TfliteOp::kReshape: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        int64_t n_in = 1, n_out = 1;
        for (int64_t d : shape(o.inputs[0])) n_in *= d;
        for (int64_t d : s.out_shape) n_out *= d;
        if (n_in != n_out)
          fail(s,
               "cannot reshape " + shape_str(shape(o.inputs[0])) + " to " + shape_str(s.out_shape));
        if (o.inputs.size() > 1) {
          // The requested shape (one -1 allowed) must agree with the output's.
          std::vector<int64_t> want = ints(s, o.inputs[1]);
          if (want.size() != out_rank)
            fail(s, "new shape " + shape_str(want) + " differs from the output's " +
                        shape_str(s.out_shape));
          for (size_t d = 0; d < want.size(); ++d)
            if (want[d] != -1 && want[d] != s.out_shape[d])
              fail(s, "new shape " + shape_str(want) + " differs from the output's " +
                          shape_str(s.out_shape));
        }
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kPad: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        const size_t rank = shape(o.inputs[0]).size();
        const std::vector<int64_t> p = ints(s, o.inputs[1]);
        if (p.size() != 2 * rank) fail(s, "paddings must be " + std::to_string(rank) + "x2");
        for (int64_t v : p)
          if (v < 0 || v > (1 << 16)) fail(s, "padding " + std::to_string(v) + " out of range");
        // constant_pad_nd: (before, after) of the last internal dim first.
        for (int64_t d = static_cast<int64_t>(rank) - 1; d >= 0; --d) {
          int64_t axis = d;  // logical axis of internal dim d
          if (rank == 4) axis = std::array<int64_t, 4>{0, 3, 1, 2}[d];
          s.pad_before.push_back(p[2 * axis]);
          s.pad_before.push_back(p[2 * axis + 1]);
        }
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kResizeBilinear: {
        require_rank(s, o.inputs[0], 4);
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        const std::vector<int64_t> size = ints(s, o.inputs[1]);
        if (size.size() != 2 || out_rank != 4 || size[0] != s.out_shape[1] ||
            size[1] != s.out_shape[2])
          fail(s, "size " + shape_str(size) + " differs from the output shape " +
                      shape_str(s.out_shape));
        if (o.align_corners && o.half_pixel_centers)
          fail(s, "align_corners and half_pixel_centers together");
        // TFLite's float kernel: source coordinate, floor/ceil clamped, lerp.
        auto axis = [&](int64_t in, int64_t out, at::Tensor& lo, at::Tensor& hi, at::Tensor& w) {
          const float scale = (o.align_corners && out > 1)
                                  ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                  : static_cast<float>(in) / static_cast<float>(out);
          std::vector<int64_t> l(out), h(out);
          std::vector<float> f(out);
          for (int64_t i = 0; i < out; ++i) {
            const float src = o.half_pixel_centers ? (static_cast<float>(i) + 0.5f) * scale - 0.5f
                                                   : static_cast<float>(i) * scale;
            const float fl = std::floor(src);
            l[i] = std::min<int64_t>(std::max<int64_t>(static_cast<int64_t>(fl), 0), in - 1);
            h[i] = std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1);
            h[i] = std::max<int64_t>(h[i], 0);
            f[i] = src - fl;
          }
          lo = on_device(at::tensor(l, at::kLong));
          hi = on_device(at::tensor(h, at::kLong));
          w = on_device(at::tensor(f, at::kFloat));
        };
        const auto& in = shape(o.inputs[0]);
        if (in[1] < 1 || in[2] < 1) fail(s, "empty input");
        axis(in[1], s.out_shape[1], s.y0, s.y1, s.wy);
        axis(in[2], s.out_shape[2], s.x0, s.x1, s.wx);
        s.wy = s.wy.view({1, 1, -1, 1});
        s.wx = s.wx.view({1, 1, 1, -1});
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kFullyConnected: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        if (!is_const(o.inputs[1])) fail(s, "weights must be constant");
        require_rank(s, o.inputs[1], 2);
        const at::Tensor w = constant(o.inputs[1]);
        s.fc_k = w.size(1);
        int64_t n_in = 1;
        for (int64_t d : shape(o.inputs[0])) n_in *= d;
        if (s.fc_k == 0 || n_in % s.fc_k != 0)
          fail(s, "input " + shape_str(shape(o.inputs[0])) + " does not fit weights " +
                      shape_str(w.sizes()));
        s.weight = on_device(w);
        if (o.inputs.size() > 2 && o.inputs[2] >= 0) {
          if (!is_const(o.inputs[2])) fail(s, "bias must be constant");
          const at::Tensor b = constant(o.inputs[2]);
          if (b.numel() != w.size(0))
            fail(s, "bias has " + std::to_string(b.numel()) + " values, expected " +
                        std::to_string(w.size(0)));
          s.bias = on_device(b.reshape({-1}));
        }
        s.in.push_back(o.inputs[0]);
        break;
      }
      case TfliteOp::kMean: {
        if (is_const(o.inputs[0])) fail(s, "a constant input is not supported");
        const int64_t rank = static_cast<int64_t>(shape(o.inputs[0]).size());
        std::vector<int64_t> axes = ints(s, o.inputs[1]);
        std::vector<char> seen(rank, 0);
        for (int64_t& a : axes) {
          if (a < 0) a += rank;
          if (a < 0 || a >= rank) fail(s, "axis out of range");
          if (seen[a]) continue;
          seen[a] = 1;
          s.dims.push_back(internal_dim(a, rank));
        }
        s.keep_dims = o.keep_dims;
        s.in.push_back(o.inputs[0]);
        break;
      }
    }
    check_output_shape(s, o);
    g_.steps.push_back(std::move(s));
  }
};

}  // namespace

std::vector<at::Tensor> TfliteGraph::Impl::execute(const std::vector<at::Tensor>& inputs,
                                                   bool check_shapes) const {
  std::vector<at::Tensor> v(n_tensors);
  for (size_t i = 0; i < inputs.size(); ++i) v[input_tensors[i]] = to_internal(inputs[i]);
  for (size_t k = 0; k < steps.size(); ++k) {
    const Step& s = steps[k];
    auto arg = [&](size_t j) -> const at::Tensor& {
      return s.in[j] >= 0 ? v[s.in[j]] : s.consts[j];
    };
    at::Tensor y;
    try {
      switch (s.op) {
        case TfliteOp::kConv2d:
        case TfliteOp::kDepthwiseConv2d: {
          at::Tensor x = arg(0);
          if (!s.pad_before.empty()) x = at::constant_pad_nd(x, s.pad_before, 0.0);
          y = at::conv2d(x, s.weight, s.bias, s.stride, s.padding, s.dilation, s.groups);
          break;
        }
        case TfliteOp::kMaxPool2d: {
          at::Tensor x = arg(0);
          if (!s.pad_before.empty())
            x = at::constant_pad_nd(x, s.pad_before, -std::numeric_limits<double>::infinity());
          y = at::max_pool2d(x, s.kernel, s.stride, s.padding);
          break;
        }
        case TfliteOp::kPrelu:
          if (s.prelu_per_channel)
            y = at::prelu(arg(0), s.weight);
          else
            y = at::where(arg(0) >= 0, arg(0), arg(0) * s.weight);
          break;
        case TfliteOp::kAdd:
          y = at::add(arg(0), arg(1));
          break;
        case TfliteOp::kLogistic:
          y = at::sigmoid(arg(0));
          break;
        case TfliteOp::kConcatenation: {
          std::vector<at::Tensor> parts;
          for (size_t j = 0; j < s.in.size(); ++j) parts.push_back(arg(j));
          y = at::cat(parts, s.dim);
          break;
        }
        case TfliteOp::kReshape:
          y = to_internal(to_logical(arg(0)).reshape(s.out_shape));
          break;
        case TfliteOp::kPad:
          y = at::constant_pad_nd(arg(0), s.pad_before, 0.0);
          break;
        case TfliteOp::kResizeBilinear: {
          const at::Tensor& x = arg(0);
          at::Tensor top = x.index_select(2, s.y0);
          at::Tensor rows = top + (x.index_select(2, s.y1) - top) * s.wy;
          at::Tensor left = rows.index_select(3, s.x0);
          y = left + (rows.index_select(3, s.x1) - left) * s.wx;
          break;
        }
        case TfliteOp::kFullyConnected: {
          at::Tensor x = to_logical(arg(0)).reshape({-1, s.fc_k});
          y = s.bias.defined() ? at::addmm(s.bias, x, s.weight.t()) : at::mm(x, s.weight.t());
          y = to_internal(y.reshape(s.out_shape));
          break;
        }
        case TfliteOp::kMean:
          y = at::mean(arg(0), s.dims, /*keepdim=*/true);
          if (!s.keep_dims) y = to_internal(to_logical(y).reshape(s.out_shape));
          break;
        case TfliteOp::kDequantize:
          break;  // folded at load
      }
      apply_activation(y, s.act);
    } catch (const TfliteError&) {
      throw;
    } catch (const std::exception& e) {
      std::string msg = e.what();
      if (const size_t nl = msg.find('\n'); nl != std::string::npos) msg.resize(nl);
      fail(s.where + ": " + msg);
    }
    if (check_shapes && !to_logical(y).sizes().equals(s.out_shape))
      fail(s.where + ": computes " + shape_str(to_logical(y).sizes()) + ", the file says " +
           shape_str(s.out_shape));
    v[s.out] = std::move(y);
    for (int t : release[k]) v[t].reset();
  }
  std::vector<at::Tensor> out;
  for (int t : output_tensors) out.push_back(to_logical(v[t]).contiguous());
  return out;
}

TfliteGraph::TfliteGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TfliteGraph::~TfliteGraph() = default;

std::unique_ptr<TfliteGraph> TfliteGraph::load(const std::string& path, const std::string& device) {
  c10::NoGradGuard no_grad;
  auto g = std::make_unique<Impl>();
  g->path = path;
  try {
    g->device = at::Device(device);
  } catch (const std::exception&) {
    throw TfliteError(path + ": unknown device '" + device + "' (expected cpu, cuda or cuda:N)");
  }
  if (!g->device.is_cpu() && !g->device.is_cuda())
    throw TfliteError(path + ": unsupported device '" + device +
                      "' (expected cpu, cuda or cuda:N)");
  if (g->device.is_cuda() && !at::hasCUDA())
    throw TfliteError(path + ": device '" + device + "': CUDA is not available");

  const TfliteModel model = read_tflite_file(path);
  g->n_tensors = model.tensors.size();
  for (int t : model.inputs) {
    const TfliteTensor& tt = model.tensors[t];
    g->inputs_info.push_back({tt.name, tt.shape});
    g->input_tensors.push_back(t);
  }
  for (int t : model.outputs) {
    const TfliteTensor& tt = model.tensors[t];
    g->outputs_info.push_back({tt.name, tt.shape});
    g->output_tensors.push_back(t);
  }
  try {
    Builder(model, *g).build();
  } catch (const TfliteError&) {
    throw;
  } catch (const std::exception& e) {
    // ATen refusing something while preparing weights (e.g. the device).
    throw TfliteError(path + ": " + e.what());
  }

  // Free each run-time tensor after its last reader; graph outputs are kept.
  std::vector<int> last(g->n_tensors, -1);
  for (size_t k = 0; k < g->steps.size(); ++k)
    for (int t : g->steps[k].in)
      if (t >= 0) last[t] = static_cast<int>(k);
  for (int t : g->output_tensors) last[t] = -1;
  g->release.assign(g->steps.size(), {});
  for (size_t t = 0; t < last.size(); ++t)
    if (last[t] >= 0) g->release[last[t]].push_back(static_cast<int>(t));
  // Graph outputs must be computed by a step (not folded constants).
  std::vector<char> produced(g->n_tensors, 0);
  for (const Step& s : g->steps) produced[s.out] = 1;
  for (int t : g->output_tensors)
    if (!produced[t]) g->fail("graph output '" + model.tensors[t].name + "' is a constant");

  // One run on zeros: every op's output shape must be the file's.
  std::vector<at::Tensor> zeros;
  for (const TfliteTensorInfo& i : g->inputs_info)
    zeros.push_back(at::zeros(i.shape, at::TensorOptions().dtype(at::kFloat).device(g->device)));
  g->execute(zeros, /*check_shapes=*/true);
  return std::unique_ptr<TfliteGraph>(new TfliteGraph(std::move(g)));
}

const std::vector<TfliteTensorInfo>& TfliteGraph::inputs() const { return impl_->inputs_info; }
const std::vector<TfliteTensorInfo>& TfliteGraph::outputs() const { return impl_->outputs_info; }
std::string TfliteGraph::device() const { return impl_->device.str(); }

std::vector<at::Tensor> TfliteGraph::run(const std::vector<at::Tensor>& inputs) const {
  c10::NoGradGuard no_grad;
  const Impl& g = *impl_;
  if (inputs.size() != g.inputs_info.size())
    g.fail("run() got " + std::to_string(inputs.size()) + " inputs, the model has " +
           std::to_string(g.inputs_info.size()));
  std::vector<at::Tensor> on_device;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const at::Tensor& x = inputs[i];
    if (!x.defined() || x.scalar_type() != at::kFloat || !x.sizes().equals(g.inputs_info[i].shape))
      g.fail("input '" + g.inputs_info[i].name + "' must be float32 " +
             shape_str(g.inputs_info[i].shape) + ", got " +
             (x.defined() ? std::string(c10::toString(x.scalar_type())) + " " + shape_str(x.sizes())
                          : "nothing"));
    on_device.push_back(x.to(g.device).contiguous());
  }
  return g.execute(on_device, /*check_shapes=*/false);
}

}  // namespace intershape::core::detect
