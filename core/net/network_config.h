#pragma once
// How the network is built and run, and what one forward pass should return.
// Plain data (no LibTorch, no OpenCV): the CLI, the GUI and core fill these
// and hand them down; nothing below reads the environment. core/hand_estimator.h
// names them core::ModelConfig, core::EstimateOptions and core::ModelError.

#include <stdexcept>
#include <string>

namespace intershape::core::net {

// Where the model comes from and how it runs.
struct NetworkConfig {
  std::string checkpoint;  // snapshot_99.pth.tar (torch.save zip), or empty with synthetic
  std::string
      mano_dir;  // folder with MANO_RIGHT.pkl / MANO_LEFT.pkl; empty: the checkpoint's buffers
  std::string device = "auto";     // auto | cpu | cuda | cuda:N (core/net/device.h)
  std::string precision = "fp32";  // fp32 | fp16 (CUDA only)
  int threads = 0;                 // CPU threads; 0 = all cores
  bool synthetic = false;      // weights from the deterministic rule (tests, bench); needs mano_dir
  std::string synthetic_salt;  // the rule's SALT
  // CPU float32 only: keep the convolution weights pre-packed in oneDNN's
  // blocked layout (faster: no reorder on every call). Off for A/B timing
  // (`intershape bench --no-onednn`) or a LibTorch whose oneDNN misbehaves;
  // ignored where LibTorch has no oneDNN.
  bool onednn = true;
};

// What a forward pass returns beyond the final hands.
struct EstimateOptions {
  bool stage_details = false;  // fill NetworkOutput::stages
  bool attention_details =
      false;                   // fill NetworkOutput::attention_detail (depth maxima, stage maps)
  bool full_heatmaps = false;  // also copy the [42,64,64,64] heatmaps into it (44 MB)
};

// A model that cannot be loaded: missing/corrupt file, wrong architecture, bad
// MANO files, unavailable device. what() names the file and the problem.
class ModelError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace intershape::core::net
