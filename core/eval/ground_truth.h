#pragma once
// Ground-truth joints and vertices from NeuralAnnot MANO fits, with our MANO
// layer (smplx semantics, the fit's translation): world millimetres. LibTorch
// stays in ground_truth.cpp. One thread at a time.

#include <memory>
#include <vector>

#include "core/eval/interhand.h"
#include "mano/mano_model.h"

namespace intershape::core::eval {

class GroundTruthMano {
 public:
  // The pair as loaded (mano::load_mano_dir applies the reference's left-hand
  // shapedirs fix; checkpoint buffers carry it already). The models' own
  // `transl` is not used.
  explicit GroundTruthMano(const mano::ManoPair& pair);
  ~GroundTruthMano();
  GroundTruthMano(const GroundTruthMano&) = delete;
  GroundTruthMano& operator=(const GroundTruthMano&) = delete;

  // For hand h (0 right, 1 left) and n fits: joints [n, 21, 3] (16 MANO joints
  // + fingertip vertices 745, 317, 444, 556, 673) and, when `vertices` is not
  // null, vertices [n, 778, 3]; world mm. Batched in one forward.
  void forward(int hand, const std::vector<const ManoFit*>& fits, float* joints,
               float* vertices) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace intershape::core::eval
