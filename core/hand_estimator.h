#pragma once
// The seam between the pipeline and the network: the pipeline, the exporters and
// the GUI talk to this interface only, so they can be tested with a fake and
// never include LibTorch. The LibTorch implementation is core/net/ behind the
// adapter in core/network_estimator.cpp.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/net/network_config.h"
#include "core/types.h"
#include "mano/mano_model.h"

namespace intershape::core {

// The network's configuration and error (core/net/network_config.h).
using ModelConfig = net::NetworkConfig;
using ModelError = net::ModelError;

// What the network returns beyond the final hands (core/net's options), and
// what the worker keeps beside it.
struct EstimateOptions : net::EstimateOptions {
  bool keep_input = false;  // the worker keeps the 256x256 input in FrameResult::network_input
};

class HandEstimator {
 public:
  virtual ~HandEstimator() = default;
  // `input_rgb` is the network input: CV_8UC3, 256x256, RGB (see core/preprocess.h).
  // Not thread-safe: one thread (the inference worker) owns an estimator.
  virtual NetworkOutput estimate(const cv::Mat& input_rgb, const EstimateOptions& options) = 0;
  // MANO triangles per hand, 0-based, [1540*3]; index 0 right, 1 left (the left
  // model's faces have the mirrored winding).
  virtual const std::array<std::vector<int32_t>, 2>& faces() const = 0;
  // The MANO models the estimator's meshes come from (the rigged exports
  // build their skeletons from them). Null when there are none (test doubles).
  virtual std::shared_ptr<const mano::ManoPair> hand_models() const { return nullptr; }
  // For the UI and logs: "cpu, 2 threads, fp32", "cuda:0, fp16", ...
  virtual std::string describe() const = 0;
};

// Builds the LibTorch estimator: the network (core/net) behind this interface
// (core/network_estimator.cpp, target intershape_estimator, only when built
// with LibTorch). Throws ModelError. Call it on the thread that will use the estimator.
std::unique_ptr<HandEstimator> create_estimator(const ModelConfig& config);

}  // namespace intershape::core
