#pragma once
// The seam between the pipeline and the network: the pipeline, the exporters and
// the GUI talk to this interface only, so they can be tested with a fake and
// never include LibTorch. The LibTorch implementation lives in core/net/.

#include <array>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/types.h"

namespace intershape::core {

struct EstimateOptions {
  bool stage_details = false;      // fill NetworkOutput::stages
  bool attention_details = false;  // fill NetworkOutput::attention_detail (depth maxima, stage maps)
  bool full_heatmaps = false;      // also copy the [42,64,64,64] heatmaps into it (44 MB)
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
  // For the UI and logs: "cpu, 2 threads, fp32", "cuda:0, fp16", ...
  virtual std::string describe() const = 0;
};

// Where the model comes from and how it runs.
struct ModelConfig {
  std::string checkpoint;   // snapshot_99.pth.tar (torch.save zip), or empty with synthetic
  std::string mano_dir;     // folder with MANO_RIGHT.pkl / MANO_LEFT.pkl; empty: the checkpoint's buffers
  std::string device = "auto";     // auto | cpu | cuda | cuda:N
  std::string precision = "fp32";  // fp32 | fp16 (CUDA only)
  int threads = 0;                 // CPU threads; 0 = all cores
  bool synthetic = false;          // weights from the deterministic rule (tests, bench); needs mano_dir
  std::string synthetic_salt;      // the rule's SALT
};

// A model that cannot be loaded: missing/corrupt file, wrong architecture, bad
// MANO files, unavailable device. what() names the file and the problem.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Builds the LibTorch estimator (defined in core/net, only when built with
// LibTorch). Throws ModelError. Call it on the thread that will use the estimator.
std::unique_ptr<HandEstimator> create_estimator(const ModelConfig& config);

}  // namespace intershape::core
