#pragma once
// A whole sequence as one rigged, skinned glTF 2.0 binary (.glb) for 3D tools.
//
// Per hand that is present in at least one frame (a clip without a left hand
// has no left rig):
//   - a skinned mesh node "right_hand" / "left_hand": MANO topology, the rest
//     shape of the sequence's median betas baked into the bind pose;
//   - 21 joint nodes "right_wrist" ... "right_pinky_tip": MANO's 16 joints plus
//     5 fingertip end joints (zero skin weight), bind pose = shaped rest joints;
//   - skin weights from MANO's blend weights: the 4 largest per vertex,
//     renormalised, in one JOINTS_0/WEIGHTS_0 set. MANO's weights have at most
//     2 non-zero influences per vertex (495 vertices 1, 283 vertices 2), so 4
//     is exact: 4 and 8 (two sets) pose the mesh identically (test_export_rig);
//   - LINEAR rotation channels per joint (MANO pose + hand mean), a LINEAR
//     translation channel on the wrist (camera-space position, metres), and a
//     STEP scale channel on the wrist: 0 where the hand is absent (the whole
//     hand collapses to a point), 1 where present; keyed at changes only.
// Pose correctives are optional (RigGltfOptions::pose_correctives, off by
// default): MANO's 135 posedirs as morph targets on POSITION and a LINEAR
// `weights` channel on the mesh node with the 135 rotation features (R_j - I,
// j = 1..15, MANO space) per frame. glTF applies morph targets before skinning,
// as MANO applies posedirs before LBS, so the mesh is then MANO's exactly.
// Cost: 1.26 MB per hand and 1,080 bytes per frame for both hands.
// A node "camera" at the origin carries a perspective camera with the
// source's intrinsics (vertical field of view, aspect ratio).
// Key times: rig_timing() (frame k at float32 <= its exact time, one more key
// a frame time after the last). asset.extras and the animation's extras
// carry {"fps", "frame_time", "frames"}. Axes and units: rig axes
// (rig_sequence.h). Not thread-safe; any thread.

#include <array>
#include <string>
#include <vector>

#include "core/exporters/rig_sequence.h"
#include "mano/mano_model.h"

namespace intershape::core::exporters {

struct RigGltfOptions {
  int max_influences = 4;         // 4 (one JOINTS/WEIGHTS set) or 8 (two)
  bool pose_correctives = false;  // morph targets + per-frame weights (see above)
};

// Throws formats::ExportError (no frames, no present hand in any frame, bad model).
std::string rig_glb_bytes(const mano::ManoPair& models, const std::vector<RigFrame>& frames,
                          const CameraIntrinsics& camera, const RigGltfOptions& options = {});
void write_rig_glb(const std::string& path, const mano::ManoPair& models,
                   const std::vector<RigFrame>& frames, const CameraIntrinsics& camera,
                   const RigGltfOptions& options = {});

}  // namespace intershape::core::exporters
