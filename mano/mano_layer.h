#pragma once
// The MANO layer in LibTorch (CPU or CUDA, float32), with smplx's semantics as
// the two-hand network uses it: full 48-D axis-angle pose (no PCA), hand_mean
// added to the finger parameters, shape and pose blend shapes, forward
// kinematics, linear blend skinning, the layer's transl added, output in mm.

#include <torch/torch.h>

#include "mano/mano_model.h"

namespace intershape::mano {

class ManoLayer {
 public:
  ManoLayer(const ManoModel& model, torch::Device device);

  struct Output {
    torch::Tensor vertices;  // [B, 778, 3] mm
    torch::Tensor joints;    // [B, 21, 3] mm: 16 skeleton joints + 5 fingertip vertices
  };
  // pose [B, 48] (global orientation 3 + 15 joints x 3, WITHOUT hand_mean),
  // betas [B, 10]; both on the layer's device, float32.
  Output forward(const torch::Tensor& pose, const torch::Tensor& betas) const;
  // The same with another translation instead of the layer's own: transl
  // [B, 3] or [1, 3], metres, on the layer's device (smplx's `transl=`
  // argument; the ground truth of a NeuralAnnot fit).
  Output forward(const torch::Tensor& pose, const torch::Tensor& betas,
                 const torch::Tensor& transl) const;

  const ManoModel& model() const { return model_; }
  torch::Device device() const { return device_; }

 private:
  ManoModel model_;
  torch::Device device_;
  torch::Tensor v_template_, shapedirs_, posedirs_, j_regressor_, lbs_weights_, hand_mean_, transl_;
  std::vector<int64_t> parents_;
  torch::Tensor pose_mean_;     // [48]: 0 0 0, hand_mean
  torch::Tensor parent_index_;  // [15] int64: parents_[1..15]
  torch::Tensor tip_index_;     // [5] int64: kFingertipVertices
};

}  // namespace intershape::mano
