#pragma once
// The two-hand network (InterNet heatmaps -> MeshRegNet -> 3 cascaded
// refinements -> MANO, /work/shared/NETWORK.md) in LibTorch, behind the
// HandEstimator interface. LibTorch stays inside network.cpp (pimpl), so this
// header is cheap to include.
//
// Thread: create, use and destroy a TwoHandNetwork on one thread (the inference
// worker): LibTorch's OpenMP thread count is set on the creating thread.
// Creating one also raises glibc's mmap threshold to 32 MB and turns off heap
// trimming for the process (a forward pass otherwise page-faults ~14 000 times).
//
// Speed (CPU, float32): BatchNorm folded into the convolutions, transposed
// convolutions as sub-pixel convolutions, convolution weights pre-packed for
// oneDNN (INTERSHAPE_ONEDNN=0 in the environment turns that off), one pass
// over the heatmaps, matrix-vector linear layers.
//
// Usage:
//   core::ModelConfig config;
//   config.checkpoint = "snapshot_99.pth.tar";  // or config.synthetic = true + mano_dir
//   std::unique_ptr<core::HandEstimator> net = core::create_estimator(config);
//   core::NetworkOutput out = net->estimate(core::make_network_input(frame, crop), {});

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/hand_estimator.h"

namespace intershape::core::net {

// The network input as the reference builds it: CV_8UC3 256x256 RGB ->
// float32 [3, 256, 256] (C, H, W), value / 255. Throws std::invalid_argument
// naming the problem for an empty image, another type or another size.
std::vector<float> input_to_chw(const cv::Mat& input_rgb);

class TwoHandNetwork final : public HandEstimator {
 public:
  // Loads the weights (checkpoint, or the WEIGHTS.md rule when
  // config.synthetic) and the MANO models (config.mano_dir, else the
  // checkpoint's buffers), checks the architecture strictly, and prepares the
  // weights for inference (BatchNorm folded, transposed convs as sub-pixel
  // convs). Throws ModelError naming the file and every problem.
  static std::unique_ptr<TwoHandNetwork> create(const ModelConfig& config);
  ~TwoHandNetwork() override;

  // One 256x256 RGB uint8 image (see core/preprocess.h).
  NetworkOutput estimate(const cv::Mat& input_rgb, const EstimateOptions& options) override;
  // Several images in one batch; output i belongs to input i. Timings are the
  // batch's (the same in every output).
  std::vector<NetworkOutput> estimate_batch(const std::vector<cv::Mat>& inputs_rgb,
                                            const EstimateOptions& options);

  // Already-normalised float inputs: `nchw` holds [batch, 3, 256, 256] RGB
  // values in [0, 1] (C, H, W), as the reference's evaluation builds them
  // (float crops, no uint8 rounding; core/eval/protocol.h). The caller keeps
  // the buffer alive for the call.
  std::vector<NetworkOutput> estimate_batch_chw(const float* nchw, int batch,
                                                const EstimateOptions& options);

  const std::array<std::vector<int32_t>, 2>& faces() const override;
  std::string describe() const override;

  struct Impl;

 private:
  explicit TwoHandNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intershape::core::net
