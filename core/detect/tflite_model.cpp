#include "core/detect/tflite_model.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "core/detect/tflite_schema_generated.h"

namespace intershape::core::detect {

namespace fb = intershape::tflite_fb;

namespace {

// Bounds that no model of ours comes near; they keep a hostile file from
// asking for absurd allocations before any data is read.
constexpr int64_t kMaxDim = 1 << 24;
constexpr int64_t kMaxElements = int64_t{1} << 26;  // 256 MB of float32
constexpr size_t kMaxRank = 6;
constexpr int kMaxStride = 1024;
constexpr size_t kMaxFileBytes = size_t{256} << 20;

[[noreturn]] void fail(const std::string& file, const std::string& what) {
  throw TfliteError(file + ": " + what);
}

std::string type_name(int t) {
  static const char* const kNames[] = {"float32", "float16", "int32", "uint8",     "int64",
                                       "string",  "bool",    "int16", "complex64", "int8"};
  if (t >= 0 && t < 10) return kNames[t];
  return "type " + std::to_string(t);
}

size_t element_size(TfliteType t) { return t == TfliteType::kFloat16 ? 2 : 4; }

// The union member each op's options must be (NONE: the op has no options).
fb::BuiltinOptions expected_options(TfliteOp op) {
  switch (op) {
    case TfliteOp::kConv2d:
      return fb::BuiltinOptions::Conv2DOptions;
    case TfliteOp::kDepthwiseConv2d:
      return fb::BuiltinOptions::DepthwiseConv2DOptions;
    case TfliteOp::kMaxPool2d:
      return fb::BuiltinOptions::Pool2DOptions;
    case TfliteOp::kFullyConnected:
      return fb::BuiltinOptions::FullyConnectedOptions;
    case TfliteOp::kConcatenation:
      return fb::BuiltinOptions::ConcatenationOptions;
    case TfliteOp::kAdd:
      return fb::BuiltinOptions::AddOptions;
    case TfliteOp::kResizeBilinear:
      return fb::BuiltinOptions::ResizeBilinearOptions;
    case TfliteOp::kReshape:
      return fb::BuiltinOptions::ReshapeOptions;
    case TfliteOp::kPad:
      return fb::BuiltinOptions::PadOptions;
    case TfliteOp::kMean:
      return fb::BuiltinOptions::ReducerOptions;
    case TfliteOp::kDequantize:
      return fb::BuiltinOptions::DequantizeOptions;
    case TfliteOp::kLogistic:
    case TfliteOp::kPrelu:
      return fb::BuiltinOptions::NONE;
  }
  return fb::BuiltinOptions::NONE;
}

// Ops whose options must be present: their defaults (stride 0) are meaningless.
bool options_required(TfliteOp op) {
  return op == TfliteOp::kConv2d || op == TfliteOp::kDepthwiseConv2d || op == TfliteOp::kMaxPool2d;
}

bool supported(int32_t code) {
  switch (static_cast<TfliteOp>(code)) {
    case TfliteOp::kAdd:
    case TfliteOp::kConcatenation:
    case TfliteOp::kConv2d:
    case TfliteOp::kDepthwiseConv2d:
    case TfliteOp::kDequantize:
    case TfliteOp::kFullyConnected:
    case TfliteOp::kLogistic:
    case TfliteOp::kMaxPool2d:
    case TfliteOp::kReshape:
    case TfliteOp::kResizeBilinear:
    case TfliteOp::kPad:
    case TfliteOp::kMean:
    case TfliteOp::kPrelu:
      return true;
  }
  return false;
}

// Allowed input counts (min, max) of each op; every op has exactly one output.
std::pair<size_t, size_t> input_count(TfliteOp op) {
  switch (op) {
    case TfliteOp::kAdd:
      return {2, 2};
    case TfliteOp::kConcatenation:
      return {1, 64};
    case TfliteOp::kConv2d:
    case TfliteOp::kDepthwiseConv2d:
    case TfliteOp::kFullyConnected:
      return {2, 3};
    case TfliteOp::kReshape:
      return {1, 2};
    case TfliteOp::kResizeBilinear:
    case TfliteOp::kPad:
    case TfliteOp::kMean:
    case TfliteOp::kPrelu:
      return {2, 2};
    case TfliteOp::kDequantize:
    case TfliteOp::kLogistic:
    case TfliteOp::kMaxPool2d:
      return {1, 1};
  }
  return {1, 1};
}

TfliteActivation activation(fb::ActivationFunctionType a, const std::string& where) {
  switch (a) {
    case fb::ActivationFunctionType::NONE:
      return TfliteActivation::kNone;
    case fb::ActivationFunctionType::RELU:
      return TfliteActivation::kRelu;
    case fb::ActivationFunctionType::RELU_N1_TO_1:
      return TfliteActivation::kReluN1To1;
    case fb::ActivationFunctionType::RELU6:
      return TfliteActivation::kRelu6;
    default:
      break;
  }
  throw TfliteError(where + ": unsupported fused activation " +
                    std::to_string(static_cast<int>(a)));
}

TflitePadding padding(fb::Padding p, const std::string& where) {
  if (p == fb::Padding::SAME) return TflitePadding::kSame;
  if (p == fb::Padding::VALID) return TflitePadding::kValid;
  throw TfliteError(where + ": unknown padding " + std::to_string(static_cast<int>(p)));
}

int positive(int v, int max, const char* what, const std::string& where) {
  if (v < 1 || v > max)
    throw TfliteError(where + ": " + what + " " + std::to_string(v) + " out of range");
  return v;
}

}  // namespace

int64_t TfliteTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

std::string tflite_op_name(int32_t code) {
  switch (code) {
    case 0:
      return "ADD";
    case 1:
      return "AVERAGE_POOL_2D";
    case 2:
      return "CONCATENATION";
    case 3:
      return "CONV_2D";
    case 4:
      return "DEPTHWISE_CONV_2D";
    case 6:
      return "DEQUANTIZE";
    case 9:
      return "FULLY_CONNECTED";
    case 14:
      return "LOGISTIC";
    case 17:
      return "MAX_POOL_2D";
    case 18:
      return "MUL";
    case 19:
      return "RELU";
    case 21:
      return "RELU6";
    case 22:
      return "RESHAPE";
    case 23:
      return "RESIZE_BILINEAR";
    case 25:
      return "SOFTMAX";
    case 28:
      return "TANH";
    case 32:
      return "CUSTOM";
    case 34:
      return "PAD";
    case 39:
      return "TRANSPOSE";
    case 40:
      return "MEAN";
    case 41:
      return "SUB";
    case 54:
      return "PRELU";
    case 114:
      return "QUANTIZE";
  }
  return "BUILTIN_" + std::to_string(code);
}

std::string tflite_op_name(TfliteOp op) { return tflite_op_name(static_cast<int32_t>(op)); }

TfliteModel parse_tflite(const uint8_t* data, size_t size, const std::string& file) {
  if (data == nullptr || size < 8)
    fail(file, "not a TFLite model (only " + std::to_string(size) + " bytes)");
  if (size > kMaxFileBytes)
    fail(file, "too large for a TFLite model here (" + std::to_string(size) + " bytes)");
  // flatbuffers reads scalars in place: work on an aligned copy when needed.
  std::vector<uint64_t> aligned;
  if (reinterpret_cast<uintptr_t>(data) % alignof(uint64_t) != 0) {
    aligned.resize((size + 7) / 8);
    std::memcpy(aligned.data(), data, size);
    data = reinterpret_cast<const uint8_t*>(aligned.data());
  }
  if (!fb::ModelBufferHasIdentifier(data))
    fail(file, "not a TFLite model (no \"TFL3\" file identifier)");
  flatbuffers::Verifier verifier(data, size, /*max_depth=*/64, /*max_tables=*/1000000);
  if (!fb::VerifyModelBuffer(verifier))
    fail(file, "malformed TFLite flatbuffer (the flatbuffers verifier refused it)");

  const fb::Model* model = fb::GetModel(data);
  TfliteModel out;
  if (model->description() != nullptr) out.description = model->description()->str();
  const auto* subgraphs = model->subgraphs();
  if (subgraphs == nullptr || subgraphs->size() != 1)
    fail(file, "expected exactly one subgraph, found " +
                   std::to_string(subgraphs ? subgraphs->size() : 0));
  const fb::SubGraph* graph = subgraphs->Get(0);
  const auto* buffers = model->buffers();
  const size_t n_buffers = buffers ? buffers->size() : 0;
  const auto* tensors = graph->tensors();
  if (tensors == nullptr || tensors->size() == 0) fail(file, "the subgraph has no tensors");
  const int n_tensors =
      static_cast<int>(std::min<size_t>(tensors->size(), std::numeric_limits<int>::max()));

  // Tensors.
  out.tensors.resize(n_tensors);
  for (int i = 0; i < n_tensors; ++i) {
    const fb::Tensor* t = tensors->Get(i);
    TfliteTensor& dst = out.tensors[i];
    dst.name = t->name() ? t->name()->str() : ("#" + std::to_string(i));
    const std::string where = file + ": tensor " + std::to_string(i) + " '" + dst.name + "'";
    if (t->shape() != nullptr) {
      if (t->shape()->size() > kMaxRank)
        throw TfliteError(where + ": rank " + std::to_string(t->shape()->size()) + " too large");
      int64_t n = 1;
      for (int32_t d : *t->shape()) {
        if (d < 0 || d > kMaxDim)
          throw TfliteError(where + ": dimension " + std::to_string(d) + " out of range");
        n *= d;
        if (n > kMaxElements) throw TfliteError(where + ": too many elements");
        dst.shape.push_back(d);
      }
    }
    const int type = static_cast<int>(t->type());
    if (type != 0 && type != 1 && type != 2)
      throw TfliteError(where + ": unsupported type " + type_name(type) +
                        " (only float32, float16 weights and int32 shapes are supported)");
    dst.type = static_cast<TfliteType>(type);
    if (const fb::QuantizationParameters* q = t->quantization()) {
      if ((q->scale() && q->scale()->size() > 0) ||
          (q->zero_point() && q->zero_point()->size() > 0))
        throw TfliteError(where + ": quantised tensors are not supported");
    }
    if (t->sparsity() != nullptr) throw TfliteError(where + ": sparse tensors are not supported");
    if (t->is_variable()) throw TfliteError(where + ": variable tensors are not supported");
    if (t->buffer() >= n_buffers)
      throw TfliteError(where + ": buffer index " + std::to_string(t->buffer()) +
                        " out of range (" + std::to_string(n_buffers) + " buffers)");
    const fb::Buffer* b = buffers->Get(t->buffer());
    if (b->offset() > 1 || b->size() > 0)
      throw TfliteError(where +
                        ": data outside the flatbuffer (external buffers) is not supported");
    if (b->data() != nullptr && b->data()->size() > 0) {
      const uint64_t want = static_cast<uint64_t>(dst.numel()) * element_size(dst.type);
      if (b->data()->size() != want)
        throw TfliteError(where + ": constant data has " + std::to_string(b->data()->size()) +
                          " bytes, shape and " + type_name(type) + " need " + std::to_string(want));
      dst.data.assign(b->data()->begin(), b->data()->end());
    }
  }

  auto index = [&](int32_t i, const std::string& where) {
    if (i < 0 || i >= n_tensors)
      throw TfliteError(where + ": tensor index " + std::to_string(i) + " out of range (" +
                        std::to_string(n_tensors) + " tensors)");
    return static_cast<int>(i);
  };

  // Graph inputs: activations of float32 (what the caller feeds).
  std::vector<char> available(n_tensors, 0);
  for (int i = 0; i < n_tensors; ++i) available[i] = out.tensors[i].is_constant();
  if (graph->inputs() == nullptr || graph->inputs()->size() == 0)
    fail(file, "the graph has no inputs");
  for (int32_t i : *graph->inputs()) {
    const int t = index(i, file + ": graph input");
    if (out.tensors[t].is_constant() || out.tensors[t].type != TfliteType::kFloat32)
      fail(file, "graph input '" + out.tensors[t].name + "' is not a float32 activation");
    available[t] = 1;
    out.inputs.push_back(t);
  }

  // Operator codes.
  const auto* codes = model->operator_codes();
  std::vector<int32_t> builtin;
  if (codes != nullptr) {
    for (const fb::OperatorCode* c : *codes) {
      // TFLite's rule: the larger of the old byte field and the new int field.
      const int32_t code = std::max<int32_t>(c->deprecated_builtin_code(), c->builtin_code());
      if (code == 32 || (c->custom_code() != nullptr && c->custom_code()->size() > 0))
        builtin.push_back(-1 - static_cast<int32_t>(builtin.size()));  // custom: refused when used
      else
        builtin.push_back(code);
    }
  }

  // Operators, in order; each input must exist before it is used.
  const auto* ops = graph->operators();
  if (ops == nullptr || ops->size() == 0) fail(file, "the graph has no operators");
  for (size_t k = 0; k < ops->size(); ++k) {
    const fb::Operator* o = ops->Get(k);
    const std::string at = file + ": operator " + std::to_string(k);
    if (o->opcode_index() >= builtin.size())
      throw TfliteError(at + ": opcode index " + std::to_string(o->opcode_index()) +
                        " out of range");
    const int32_t code = builtin[o->opcode_index()];
    if (code < 0) {
      const fb::OperatorCode* c = codes->Get(o->opcode_index());
      throw TfliteError(at + ": custom op '" +
                        (c->custom_code() ? c->custom_code()->str() : std::string("?")) +
                        "' is not supported");
    }
    if (!supported(code))
      throw TfliteError(at + ": op " + tflite_op_name(code) + " is not supported");
    TfliteOperator dst;
    dst.op = static_cast<TfliteOp>(code);
    const std::string where = at + " (" + tflite_op_name(code) + ")";

    const auto [min_in, max_in] = input_count(dst.op);
    const size_t n_in = o->inputs() ? o->inputs()->size() : 0;
    const size_t n_out = o->outputs() ? o->outputs()->size() : 0;
    if (n_in < min_in || n_in > max_in)
      throw TfliteError(where + ": " + std::to_string(n_in) + " inputs (expected " +
                        std::to_string(min_in) +
                        (max_in != min_in ? "-" + std::to_string(max_in) : std::string()) + ")");
    if (n_out != 1)
      throw TfliteError(where + ": " + std::to_string(n_out) + " outputs (expected 1)");
    for (size_t j = 0; j < n_in; ++j) {
      const int32_t i = o->inputs()->Get(j);
      // Only the bias (third input) of a convolution or FC layer may be absent.
      if (i == -1 && j == 2) {
        dst.inputs.push_back(-1);
        continue;
      }
      const int t = index(i, where + " input");
      if (!available[t])
        throw TfliteError(where + ": input '" + out.tensors[t].name +
                          "' is used before it is computed");
      dst.inputs.push_back(t);
    }
    const int t_out = index(o->outputs()->Get(0), where + " output");
    if (available[t_out])
      throw TfliteError(where + ": output '" + out.tensors[t_out].name +
                        "' is written twice or constant");
    available[t_out] = 1;
    dst.outputs.push_back(t_out);
    if (o->custom_options() != nullptr && o->custom_options()->size() > 0)
      throw TfliteError(where + ": custom options on a builtin op are not supported");

    // Options.
    const fb::BuiltinOptions want = expected_options(dst.op);
    const fb::BuiltinOptions got = o->builtin_options_type();
    if (got == fb::BuiltinOptions::NONE || o->builtin_options() == nullptr) {
      if (options_required(dst.op)) throw TfliteError(where + ": options missing");
    } else if (got != want) {
      throw TfliteError(where + ": options of the wrong type (" +
                        std::to_string(static_cast<int>(got)) + ")");
    }
    switch (dst.op) {
      case TfliteOp::kConv2d:
        if (const auto* p = o->builtin_options_as_Conv2DOptions()) {
          dst.padding = padding(p->padding(), where);
          dst.stride_w = positive(p->stride_w(), kMaxStride, "stride_w", where);
          dst.stride_h = positive(p->stride_h(), kMaxStride, "stride_h", where);
          dst.dilation_w = positive(p->dilation_w_factor(), kMaxStride, "dilation_w", where);
          dst.dilation_h = positive(p->dilation_h_factor(), kMaxStride, "dilation_h", where);
          dst.activation = activation(p->fused_activation_function(), where);
        }
        break;
      case TfliteOp::kDepthwiseConv2d:
        if (const auto* p = o->builtin_options_as_DepthwiseConv2DOptions()) {
          dst.padding = padding(p->padding(), where);
          dst.stride_w = positive(p->stride_w(), kMaxStride, "stride_w", where);
          dst.stride_h = positive(p->stride_h(), kMaxStride, "stride_h", where);
          dst.dilation_w = positive(p->dilation_w_factor(), kMaxStride, "dilation_w", where);
          dst.dilation_h = positive(p->dilation_h_factor(), kMaxStride, "dilation_h", where);
          dst.depth_multiplier =
              positive(p->depth_multiplier(), 1 << 16, "depth_multiplier", where);
          dst.activation = activation(p->fused_activation_function(), where);
        }
        break;
      case TfliteOp::kMaxPool2d:
        if (const auto* p = o->builtin_options_as_Pool2DOptions()) {
          dst.padding = padding(p->padding(), where);
          dst.stride_w = positive(p->stride_w(), kMaxStride, "stride_w", where);
          dst.stride_h = positive(p->stride_h(), kMaxStride, "stride_h", where);
          dst.filter_w = positive(p->filter_width(), kMaxStride, "filter_width", where);
          dst.filter_h = positive(p->filter_height(), kMaxStride, "filter_height", where);
          dst.activation = activation(p->fused_activation_function(), where);
        }
        break;
      case TfliteOp::kFullyConnected:
        if (const auto* p = o->builtin_options_as_FullyConnectedOptions()) {
          if (p->weights_format() != 0)
            throw TfliteError(where + ": shuffled weights are not supported");
          dst.activation = activation(p->fused_activation_function(), where);
          dst.keep_dims = p->keep_num_dims();
        }
        break;
      case TfliteOp::kConcatenation:
        if (const auto* p = o->builtin_options_as_ConcatenationOptions()) {
          dst.axis = p->axis();
          dst.activation = activation(p->fused_activation_function(), where);
        }
        break;
      case TfliteOp::kAdd:
        if (const auto* p = o->builtin_options_as_AddOptions())
          dst.activation = activation(p->fused_activation_function(), where);
        break;
      case TfliteOp::kResizeBilinear:
        if (const auto* p = o->builtin_options_as_ResizeBilinearOptions()) {
          dst.align_corners = p->align_corners();
          dst.half_pixel_centers = p->half_pixel_centers();
        }
        break;
      case TfliteOp::kMean:
        if (const auto* p = o->builtin_options_as_ReducerOptions()) dst.keep_dims = p->keep_dims();
        break;
      default:
        break;
    }

    // Types: float32 everywhere, except DEQUANTIZE's constant float16 input
    // and the int32 shape/axis/size constants (which must be constant).
    for (size_t j = 0; j < dst.inputs.size(); ++j) {
      if (dst.inputs[j] < 0) continue;
      const TfliteTensor& ti = out.tensors[dst.inputs[j]];
      const bool int_param =
          j == 1 && (dst.op == TfliteOp::kReshape || dst.op == TfliteOp::kResizeBilinear ||
                     dst.op == TfliteOp::kPad || dst.op == TfliteOp::kMean);
      const bool ok = int_param ? (ti.type == TfliteType::kInt32 && ti.is_constant())
                      : dst.op == TfliteOp::kDequantize
                          ? (ti.type == TfliteType::kFloat16 && ti.is_constant())
                          : ti.type == TfliteType::kFloat32;
      if (!ok)
        throw TfliteError(where + ": input '" + ti.name + "' has an unsupported type " +
                          type_name(static_cast<int>(ti.type)) +
                          (ti.is_constant() ? "" : " (or is not constant)"));
    }
    if (out.tensors[t_out].type != TfliteType::kFloat32)
      throw TfliteError(where + ": output '" + out.tensors[t_out].name + "' is not float32");
    out.operators.push_back(std::move(dst));
  }

  if (graph->outputs() == nullptr || graph->outputs()->size() == 0)
    fail(file, "the graph has no outputs");
  for (int32_t i : *graph->outputs()) {
    const int t = index(i, file + ": graph output");
    if (!available[t] || out.tensors[t].is_constant())
      fail(file, "graph output '" + out.tensors[t].name + "' is not computed by the graph");
    out.outputs.push_back(t);
  }
  return out;
}

TfliteModel read_tflite_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw TfliteError(path + ": cannot open the file");
  const std::streamoff size = in.tellg();
  if (size < 0) throw TfliteError(path + ": cannot read the file");
  if (static_cast<uint64_t>(size) > kMaxFileBytes)
    throw TfliteError(path + ": too large for a TFLite model here (" + std::to_string(size) +
                      " bytes)");
  std::vector<uint8_t> bytes(static_cast<size_t>(size));
  in.seekg(0);
  if (size > 0 && !in.read(reinterpret_cast<char*>(bytes.data()), size))
    throw TfliteError(path + ": cannot read the file");
  return parse_tflite(bytes.data(), bytes.size(), path);
}

}  // namespace intershape::core::detect
