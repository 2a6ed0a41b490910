#pragma once
// The TFLite flatbuffer, verified and decoded into plain structs. LibTorch-free,
// so that the fuzzer and the sanitizer build exercise it.
//
// parse_tflite() runs the flatbuffers Verifier on the whole buffer first, then
// checks everything the runtime relies on: one subgraph; every tensor and
// buffer index in range; shapes non-negative and of bounded size; constant
// data exactly shape × element size; only supported ops, each with its
// options table and its input/output count; no custom ops, quantised or
// sparse tensors, or variables. Anything else throws TfliteError naming the
// file and the problem.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/detect/tflite_error.h"

namespace intershape::core::detect {

// TFLite's BuiltinOperator numbers of the ops we run.
enum class TfliteOp : int32_t {
  kAdd = 0,
  kConcatenation = 2,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kLogistic = 14,
  kMaxPool2d = 17,
  kReshape = 22,
  kResizeBilinear = 23,
  kPad = 34,
  kMean = 40,
  kPrelu = 54,
};

// TFLite's TensorType numbers of the types we accept.
enum class TfliteType : int8_t { kFloat32 = 0, kFloat16 = 1, kInt32 = 2 };

enum class TflitePadding : int8_t { kSame = 0, kValid = 1 };

// TFLite's ActivationFunctionType numbers we accept (TANH and SIGN_BIT are refused).
enum class TfliteActivation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3 };

struct TfliteTensor {
  std::string name;
  std::vector<int64_t> shape;  // as stored (NHWC for images)
  TfliteType type = TfliteType::kFloat32;
  std::vector<uint8_t> data;  // constant data (little-endian), empty for activations
  bool is_constant() const { return !data.empty(); }
  int64_t numel() const;
};

struct TfliteOperator {
  TfliteOp op = TfliteOp::kAdd;
  std::vector<int> inputs;   // tensor indices; -1 = optional input absent
  std::vector<int> outputs;  // tensor indices
  // Options (only those of `op` are meaningful).
  TflitePadding padding = TflitePadding::kSame;
  int stride_w = 1, stride_h = 1;
  int dilation_w = 1, dilation_h = 1;
  int depth_multiplier = 1;
  int filter_w = 1, filter_h = 1;  // MAX_POOL_2D
  TfliteActivation activation = TfliteActivation::kNone;
  int axis = 0;                                            // CONCATENATION
  bool align_corners = false, half_pixel_centers = false;  // RESIZE_BILINEAR
  bool keep_dims = false;                                  // MEAN, FULLY_CONNECTED (keep_num_dims)
};

struct TfliteModel {
  std::string description;
  std::vector<TfliteTensor> tensors;
  std::vector<TfliteOperator> operators;  // in execution order
  std::vector<int> inputs, outputs;       // tensor indices
};

// TFLite's name of an op number ("CONV_2D"), or "BUILTIN_<n>" when unknown here.
std::string tflite_op_name(int32_t builtin_code);
std::string tflite_op_name(TfliteOp op);

// Verifies and decodes `size` bytes; `file` names the source in messages.
// Throws TfliteError.
TfliteModel parse_tflite(const uint8_t* data, size_t size, const std::string& file);

// Reads the whole file (at most 256 MB) and parses it. Throws TfliteError.
TfliteModel read_tflite_file(const std::string& path);

}  // namespace intershape::core::detect
