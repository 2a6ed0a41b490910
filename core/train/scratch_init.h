#pragma once
// Training from scratch as the reference does it (main/model.py get_model('train')):
//   1. every Conv2d, ConvTranspose2d, BatchNorm2d and Linear gets the
//      reference's init_weights (Conv2d / Linear weight N(0, 0.01), bias 0;
//      ConvTranspose2d weight N(0, 0.001); BatchNorm weight 1, bias 0);
//      the MANO layers' own parameters (betas, global_orient, body_pose,
//      hand_pose, transl) are smplx's zeros;
//   2. the heatmap network (InterNet) is loaded strictly from its released
//      snapshot_19.pth.tar ('network' with `module.` keys; the prefix is
//      stripped by the reader);
//   3. the mesh regressor's ResNet-50 (`mesh_reg.base_net`) takes the
//      ImageNet weights of torchvision's `resnet50` state dict (fc and the
//      blocks' BatchNorms, which MeshRegNet's blocks lack, are ignored); the
//      two layer3.0 convolutions that also read the 672 heatmap channels keep
//      the ImageNet weights on their first 512 input channels and get
//      N(0, 0.01) on the extra ones (common/nets/resnet_anydim.py
//      init_weights).
// Nothing the reference leaves to PyTorch's default initialisers survives
// these steps, so none is reproduced. The random draws come from one CPU
// generator seeded with `seed`, in module order: the same seed gives the same
// weights on any device. The reference draws from PyTorch's global generator
// in its own order, so values match it in distribution, not bit for bit.
// LibTorch (model.h).

#include <cstdint>

#include "core/train/model.h"

namespace intershape::core::formats {
class Checkpoint;
}

namespace intershape::core::train {

// Steps 1-3 on `net` (on the CPU, before to_device). `internet` is the
// InterNet snapshot, `resnet50` the torchvision state dict. Throws
// std::runtime_error naming the file and every missing, unexpected or
// misshapen key; the network is then partly initialised and must not be used.
void init_from_scratch(TwoHandNetImpl& net, const core::formats::Checkpoint& internet,
                       const core::formats::Checkpoint& resnet50, uint64_t seed);

// Step 1 alone, on the mesh regressor's modules (the heatmap network's are
// all overwritten by step 2, so they are not drawn). Exposed for tests.
void init_mesh_reg_reference(TwoHandNetImpl& net, uint64_t seed);

// The number of extra layer3 input channels (42 heatmaps x 16 depth cells)
// and the layer3.0 tensors that read them.
inline constexpr int64_t kExtraLayer3Channels = 672;
inline constexpr const char* kExtraChannelKeys[2] = {
    "mesh_reg.base_net.layer3.0.conv1.weight", "mesh_reg.base_net.layer3.0.downsample.0.weight"};

}  // namespace intershape::core::train
