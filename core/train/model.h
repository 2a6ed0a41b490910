#pragma once
// The two-hand network as trainable LibTorch modules (autograd, train-mode
// BatchNorm), /work/shared/NETWORK.md with the reference's training outputs.
// Unlike core/net/network.cpp (inference: BatchNorm folded, sub-pixel
// deconvolutions, prepacked weights) every layer here is the plain PyTorch
// layer, so that gradients and BatchNorm statistics behave as the reference's.
//
// Module and parameter names are the state-dict keys without `module.`
// (core/net/architecture.h): `heatmap_predictor.*` and `mesh_reg.*`, so a
// checkpoint maps 1:1 onto named_parameters() / named_buffers().
//
// Includes LibTorch: only core/train sources, the train command and tests
// include it.

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mano/mano_layer.h"
#include "mano/mano_model.h"

namespace intershape::core::formats {
class Checkpoint;
}

namespace intershape::core::train {

inline constexpr int kTrainStages = 4;  // stage 0 = MeshRegNet, 1..3 = cascade; all supervised

// What the reference's Model.forward(mode='train') hands to the loss.
struct TrainOutputs {
  torch::Tensor joints3d;  // [B, 4, 42, 3] mm, MANO frame (incl. the layers' transl), right first
  torch::Tensor t_pose;    // [B, 4, 32, 3] mm: rest-pose joints template_J + beta2J . betas
  torch::Tensor pose;      // [B, 4, 96]: right 48 then left 48 (axis-angle, without hand_mean)
  torch::Tensor shape;     // [B, 4, 20]: right betas then left betas
  torch::Tensor trans;     // [B, 4]: log-scale, tx, ty, tz of the left hand relative to the right
  torch::Tensor xyc;       // [B, 42, 3]: heatmap argmax (x, y in 64-grid cells) and its value
};

// A bottleneck block: torchvision's (with BatchNorm, the heatmap network) or
// MeshRegNet's (no BatchNorm in the block; the downsample keeps its BN), or
// the cascade's feature extractor (no BN at all, downsample a bare conv).
struct BottleneckRefs {
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr}, ds_conv{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr}, ds_bn{nullptr};
};

struct ResNetRefs {
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  std::array<std::vector<BottleneckRefs>, 4> layers;
};

struct ManoBranchRefs {
  std::array<torch::nn::Linear, 4> base{nullptr, nullptr, nullptr, nullptr};
  torch::nn::Linear pose{nullptr}, shape{nullptr};
};

struct DeconvHeadRefs {
  std::array<torch::nn::ConvTranspose2d, 3> deconv{nullptr, nullptr, nullptr};
  std::array<torch::nn::BatchNorm2d, 3> bn{nullptr, nullptr, nullptr};
  torch::nn::Conv2d conv{nullptr};  // 1x1, 256 -> 1344, bias
};

// The MANO layer's own state (smplx's MANO module): parameters betas,
// global_orient, body_pose, transl, hand_pose (only transl is used: the
// network passes no translation) and the model buffers, for the state dict.
struct ManoRefs {
  std::shared_ptr<torch::nn::Module> module;
  torch::Tensor transl;                    // [1, 3] metres, a parameter
  torch::Tensor template_j, beta2j;        // [16, 3], [16, 3, 10] metres (buffers)
  std::unique_ptr<mano::ManoLayer> layer;  // the forward pass (same model data)
};

class TwoHandNetImpl : public torch::nn::Module {
 public:
  // Builds every module with its shapes; weights uninitialised until loaded
  // (load_rule_weights / load_checkpoint_weights). The MANO buffers come from
  // `mano` (checkpoint buffers or pkl files with the left-hand fix already
  // applied).
  explicit TwoHandNetImpl(const mano::ManoPair& mano);

  // train() mode: batch statistics in every BatchNorm, running statistics
  // updated. img [B, 3, 256, 256] RGB in [0, 1] on the module's device.
  TrainOutputs forward(const torch::Tensor& img);

  // The mesh regressor (what Adam optimises, 197 tensors incl. the MANO
  // layers' parameters) and the heatmap network.
  std::shared_ptr<torch::nn::Module> mesh_reg() const { return mesh_reg_; }
  std::shared_ptr<torch::nn::Module> heatmap_predictor() const { return heatmap_predictor_; }

  // Moves the module and re-creates the MANO layers on `device`.
  void to_device(torch::Device device);

  // --freeze-internet-bn: the heatmap network's BatchNorms normalise with and
  // keep their running statistics (eval mode) while the rest trains.
  void set_freeze_internet_bn(bool freeze) { freeze_internet_bn_ = freeze; }
  bool freeze_internet_bn() const { return freeze_internet_bn_; }
  void train(bool on = true) override;

  // Gradients of the heatmap network's own parameters. The reference computes
  // them but never uses them (they are not optimised, and nothing upstream of
  // the mesh regressor needs them), so by default the heatmap network runs
  // without a graph: same mesh-regressor gradients and BatchNorm statistics,
  // a cheaper backward. The parity test turns them on to compare.
  void set_internet_gradients(bool on) { internet_gradients_ = on; }

  // Every tensor of the state dict by key (no `module.`): parameters and
  // buffers, in core/net/architecture.h's order.
  std::vector<std::pair<std::string, torch::Tensor>> state_dict_entries() const;
  torch::Tensor find_state(const std::string& key) const;  // undefined when absent

 private:
  ResNetRefs make_resnet(torch::nn::Module& parent, const std::string& name, bool block_bn,
                         int64_t extra_layer3);
  ManoBranchRefs make_mano_branch(torch::nn::Module& parent, const std::string& name, int64_t in);
  DeconvHeadRefs make_head(torch::nn::Module& pose_net, int k);
  ManoRefs make_mano(torch::nn::Module& parent, const std::string& name,
                     const mano::ManoModel& model);

  torch::Tensor resnet_forward_stem(ResNetRefs net, const torch::Tensor& x);
  torch::Tensor run_layer(const ResNetRefs& net, int layer, torch::Tensor x);
  std::pair<torch::Tensor, torch::Tensor> run_branch(ManoBranchRefs b, const torch::Tensor& x);
  struct HandResult {
    torch::Tensor joints, t_pose, pose, shape;
  };
  HandResult run_mano(int hand, const torch::Tensor& pose, const torch::Tensor& shape) const;

  std::shared_ptr<torch::nn::Module> heatmap_predictor_, mesh_reg_;
  ResNetRefs internet_, meshreg_;
  std::array<DeconvHeadRefs, 2> heads_;
  std::array<ManoRefs, 2> mano_;                            // [right, left]
  std::array<ManoBranchRefs, 2> branch0_;                   // [right, left]
  std::array<std::array<ManoBranchRefs, 3>, 2> cascade_;    // [hand][stage-1]
  std::array<std::array<BottleneckRefs, 3>, 2> extractor_;  // [hand][stage-1]
  torch::nn::Linear trans_decoder_{nullptr}, trans_final_{nullptr};
  mano::ManoPair mano_models_;
  bool freeze_internet_bn_ = false;
  bool internet_gradients_ = false;
};
TORCH_MODULE(TwoHandNet);

// Fills every float tensor (parameters and BN statistics, not the MANO model
// buffers) with the WEIGHTS.md rule for `salt`; num_batches_tracked = 0.
void load_rule_weights(TwoHandNetImpl& net, const std::string& salt);

// Copies every parameter and BN buffer from a checkpoint (keys with or
// without `module.`); throws std::runtime_error naming the file and every
// missing or misshapen key. MANO model buffers are not read (they come with
// the ManoPair the network was built from).
void load_checkpoint_weights(TwoHandNetImpl& net, const core::formats::Checkpoint& checkpoint);

}  // namespace intershape::core::train
