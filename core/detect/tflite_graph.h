#pragma once
// A TFLite model run as LibTorch (ATen) ops, on CPU or CUDA.
//
// Only what MediaPipe's palm_detection_full and hand_landmark_full use is
// supported: float32 compute with fp16 weights dequantised at load, and the ops
// CONV_2D, DEPTHWISE_CONV_2D, PRELU, ADD, MAX_POOL_2D, RESHAPE, PAD,
// RESIZE_BILINEAR, CONCATENATION, DEQUANTIZE, FULLY_CONNECTED, LOGISTIC, MEAN.
// Anything else (other ops or dtypes, quantised or sparse tensors, custom ops,
// a malformed file) is refused at load with a TfliteError naming the file and
// the problem.
//
// Threads: load() on any thread; run() may be called from one thread at a time
// (it keeps no state between calls, but ATen's intra-op pool is shared).
#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/detect/tflite_error.h"

namespace intershape::core::detect {

// A graph input or output: its TFLite name and shape (NHWC for images, as
// TFLite stores them).
struct TfliteTensorInfo {
  std::string name;
  std::vector<int64_t> shape;
};

class TfliteGraph {
 public:
  // Reads, verifies and prepares the model: weights dequantised, transposed to
  // ATen's layouts and moved to `device` once, here; then one run on zeros
  // checks every op's output shape against the file. device: "cpu", "cuda" or
  // "cuda:N". Throws TfliteError naming `path` and the problem.
  static std::unique_ptr<TfliteGraph> load(const std::string& path, const std::string& device);

  ~TfliteGraph();
  TfliteGraph(const TfliteGraph&) = delete;
  TfliteGraph& operator=(const TfliteGraph&) = delete;

  const std::vector<TfliteTensorInfo>& inputs() const;
  const std::vector<TfliteTensorInfo>& outputs() const;
  // The device the graph runs on ("cpu", "cuda:0", ...).
  std::string device() const;

  // inputs: float32 tensors with the model's input shapes (NHWC as TFLite
  // stores them), in the model's input order, on any device. Returns the
  // outputs in the model's output order, with TFLite's shapes, contiguous,
  // float32, on the graph's device. No autograd. Throws TfliteError on a wrong
  // count, shape or dtype.
  std::vector<at::Tensor> run(const std::vector<at::Tensor>& inputs) const;

  struct Impl;

 private:
  explicit TfliteGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intershape::core::detect
