#pragma once
// The state dict the two-hand network expects, generated from the architecture
// (not read from a file), and the strict check of a checkpoint against it.
// Keys are without the `module.` prefix (the released checkpoint was saved from
// DataParallel). No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

#include "core/formats/array.h"

namespace intershape::core::net {

enum class ParamRole {
  kWeight,      // float32, used by the network; from the rule when synthetic
  kCounter,     // BatchNorm num_batches_tracked (int64 scalar): accepted, unused
  kManoBuffer,  // mesh_reg.mano_layer.{r,l}.<buffer>: MANO model data
  kManoUnused,  // the MANO layer's betas, global_orient, body_pose, hand_pose: accepted, unused
};

struct ParamSpec {
  std::string key;
  std::vector<int64_t> shape;
  core::formats::DType dtype = core::formats::DType::kFloat32;
  ParamRole role = ParamRole::kWeight;
};

// All 602 entries in the order of the released checkpoint.
const std::vector<ParamSpec>& expected_state_dict();

// What a file holds for one key.
struct FoundTensor {
  std::string key;  // `module.` already stripped
  std::vector<int64_t> shape;
  core::formats::DType dtype = core::formats::DType::kFloat32;
};

// Compares what a file holds with expected_state_dict(). Missing kWeight keys,
// missing kManoBuffer keys (only when `need_mano_buffers`), unexpected keys and
// wrongly shaped keys (and weights of a non-floating dtype) are all collected; returns "" when the
// file fits, else one message listing every problem (long lists are cut after 64 names per kind,
// with the count). Missing kCounter / kManoUnused keys are fine.
std::string check_state_dict(const std::vector<FoundTensor>& found, bool need_mano_buffers);


}  // namespace intershape::core::net
