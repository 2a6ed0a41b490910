#pragma once
// One hand's animation as BVH (Biovision Hierarchy), plus a companion JSON.
//
// Skeleton: the same 16 MANO joints as the glTF rig ("wrist", "index1", ...),
// each finger ending in an End Site at its fingertip vertex. OFFSETs are the
// shaped rest joints (the sequence's median betas) relative to their parent;
// the ROOT's OFFSET is 0 and its position channels are the wrist's absolute
// camera-space position, so readers that add the OFFSET and those that do not
// agree. Rotation channels "Zrotation Xrotation Yrotation" in degrees:
// local rotation R = Rz(z) * Rx(x) * Ry(y) (column vectors), the MANO pose
// with the hand mean. FK: world_j = world_parent * T(OFFSET_j) * R_j.
// Axes and units: rig axes (rig_sequence.h): metres, +Y up, camera at the
// origin looking down -Z. Frame Time: the source's median frame interval; a
// frame where the hand is absent repeats the last present pose, and the JSON
// says which frames are present:
//   {"hand": "right", "frames": T, "frame_time": s, "fps": f,
//    "times": [source seconds from frame 0], "present": [true, false, ...]}
// Not thread-safe; any thread.

#include <string>
#include <vector>

#include "core/exporters/rig_sequence.h"
#include "mano/mano_model.h"

namespace intershape::core::exporters {

struct BvhFiles {
  std::string bvh, json;
};
// Throws formats::ExportError when the hand is absent in every frame.
BvhFiles bvh_texts(const mano::ManoModel& model, const std::vector<RigFrame>& frames, int hand);
// Writes DIR/sequence_right.bvh (+ .json) and/or DIR/sequence_left.bvh for the
// hands present in at least one frame; returns the paths written.
std::vector<std::string> write_bvh_files(const std::string& dir, const mano::ManoPair& models,
                                         const std::vector<RigFrame>& frames);

// ZXY Euler angles (radians) of R = Rz(z) Rx(x) Ry(y): returns {z, x, y}.
std::array<double, 3> euler_zxy(const mano::Mat3& r);

}  // namespace intershape::core::exporters
