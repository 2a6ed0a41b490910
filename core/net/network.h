#pragma once
// The two-hand network (InterNet heatmaps -> MeshRegNet -> 3 cascaded
// refinements -> MANO, /work/shared/NETWORK.md) in LibTorch. LibTorch stays
// inside network.cpp (pimpl), so this header is cheap to include; it needs
// neither OpenCV nor core (core::HandEstimator adapts it to cv::Mat in
// core/network_estimator.h).
//
// Thread: create, use and destroy a TwoHandNetwork on one thread (the inference
// worker): LibTorch's OpenMP thread count is set on the creating thread.
//
// Speed (CPU, float32): BatchNorm folded into the convolutions, transposed
// convolutions as sub-pixel convolutions, convolution weights pre-packed for
// oneDNN (NetworkConfig::onednn), one pass over the heatmaps, matrix-vector
// linear layers. A forward pass allocates and frees blocks of up to ~30 MB:
// with glibc's default mmap threshold each becomes an mmap/munmap pair
// (~14 000 page faults a frame, NOTES.md). The process decides that policy,
// not this library: `intershape` raises the threshold in main
// (app/allocator.h).
//
// Usage:
//   core::net::NetworkConfig config;
//   config.checkpoint = "snapshot_99.pth.tar";  // or config.synthetic = true + mano_dir
//   auto net = core::net::TwoHandNetwork::create(config);
//   core::net::NetworkOutput out = net->estimate(core::net::RgbView{pixels, 256, 256, 768}, {});

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/net/network_config.h"
#include "core/net/network_output.h"

namespace intershape::mano {
struct ManoPair;
}

namespace intershape::core::net {

// A borrowed 8-bit RGB picture: `height` rows of `width` pixels (R, G, B),
// rows `stride_bytes` apart. The network input is 256x256 (core/preprocess.h
// makes one from a frame and a crop).
struct RgbView {
  const uint8_t* data = nullptr;
  int width = 0, height = 0;
  int stride_bytes = 0;  // >= 3 * width
};

// The network input as the reference builds it: 256x256 RGB uint8 -> float32
// [3, 256, 256] (C, H, W), value / 255. Throws std::invalid_argument naming the
// problem for an empty view, another size or a stride shorter than a row.
std::vector<float> input_to_chw(const RgbView& input);

class TwoHandNetwork final {
 public:
  // Loads the weights (checkpoint, or the WEIGHTS.md rule when
  // config.synthetic) and the MANO models (config.mano_dir, else the
  // checkpoint's buffers), checks the architecture strictly, and prepares the
  // weights for inference (BatchNorm folded, transposed convs as sub-pixel
  // convs). Throws ModelError naming the file and every problem.
  static std::unique_ptr<TwoHandNetwork> create(const NetworkConfig& config);
  ~TwoHandNetwork();

  // One 256x256 RGB image.
  NetworkOutput estimate(const RgbView& input, const EstimateOptions& options);
  // Several images in one batch; output i belongs to input i. Timings are the
  // batch's (the same in every output).
  std::vector<NetworkOutput> estimate_batch(const std::vector<RgbView>& inputs,
                                            const EstimateOptions& options);

  // Already-normalised float inputs: `nchw` holds [batch, 3, 256, 256] RGB
  // values in [0, 1] (C, H, W), as the reference's evaluation builds them
  // (float crops, no uint8 rounding; core/eval/protocol.h). The caller keeps
  // the buffer alive for the call. estimate and estimate_batch end here too.
  std::vector<NetworkOutput> estimate_batch_chw(const float* nchw, int batch,
                                                const EstimateOptions& options);

  // MANO triangles per hand, 0-based, [1540*3]; index 0 right, 1 left (the left
  // model's faces have the mirrored winding).
  const std::array<std::vector<int32_t>, 2>& faces() const;
  // The MANO models the network runs (rigged exports need them).
  std::shared_ptr<const mano::ManoPair> hand_models() const;
  // "cpu, 2 threads, fp32, FILE", "cuda:0, fp16, synthetic weights", ...
  std::string describe() const;

  struct Impl;

 private:
  explicit TwoHandNetwork(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace intershape::core::net
