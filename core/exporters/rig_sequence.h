#pragma once
// What the rigged exports (rig_gltf.h, bvh_writer.h) share: the per-frame
// input, the camera, camera-space placement of each hand, key timing, and the
// per-hand rig (rest shape, per-frame joint rotations and root positions).
// Pure functions and plain data: any thread.
//
// Axes and units of every rigged export ("rig axes"): metres, the camera at
// the origin looking down -Z, +Y up, +X right (glTF's camera convention, also
// BVH's usual Y-up). A point p in the network's camera axes (x right, y down,
// z forward) is (p.x, -p.y, -p.z) there: a half-turn about X, so rotations
// stay rotations (quaternion (x, y, z, w) -> (x, -y, -z, w)).

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/types.h"
#include "mano/mano_kinematics.h"
#include "mano/mano_model.h"

namespace intershape::core::exporters {

// One hand in one frame, as the rig needs it.
struct RigHandFrame {
  bool present = false;
  std::array<float, 48> pose{};   // axis-angle, radians; hand_mean NOT included
  std::array<float, 10> betas{};  // this frame's shape (the rig uses one median shape)
  // Camera-space position of MANO joint 0 (the wrist), metres, network camera
  // axes (x right, y down, z forward). The global orientation is pose[0:3].
  std::array<double, 3> root_m{};
};

struct RigFrame {
  double time_s = 0;                  // source time
  std::array<RigHandFrame, 2> hands;  // right, left
};

// Pinhole camera in source-frame pixels. The glTF camera stores only a
// vertical field of view and an aspect ratio: it assumes square pixels and a
// centred principal point (an off-centre cx, cy is used for placement but
// cannot be carried by the glTF camera).
struct CameraIntrinsics {
  double fx = 0, fy = 0, cx = 0, cy = 0;
  int width = 0, height = 0;
};
// Used when neither --focal nor an intrinsics file is given.
inline constexpr double kDefaultHorizontalFovDeg = 60.0;
// Focal `focal_px` (fx = fy), or from `kDefaultHorizontalFovDeg` when <= 0;
// principal point at the image centre.
CameraIntrinsics camera_for_image(int width, int height, double focal_px);
// A JSON file {"fx", "fy", "cx", "cy"} or {"K": [[fx,0,cx],[0,fy,cy],[0,0,1]]},
// optional "width", "height" (else the image's). Throws formats::ExportError
// naming the file and the problem.
CameraIntrinsics load_intrinsics(const std::string& path, int width, int height);

// Camera-space placement of both hands of one frame (weak perspective, see
// README "Rigged exports"): each hand's overlay fit (scale s px/mm, offset t)
// against its keypoints gives its middle MCP (joint 4) at pixel
// s*X4.xy + t and depth f/|s|; the wrist follows rigidly. A negative s (a
// half-turn in the picture) is folded into the global orientation. With both
// hands present the network's `trans` decides their relative depth:
// z_left - z_right = d_z, d = trans[1:4] * exp(trans[0]) * |J_r4 - J_r0| (mm,
// right's J4 to left's J4); the pair's absolute depth is the mean of the two
// fits' estimates. A hand is present when presence >= 0.5 and its fit is ok.
RigFrame place_hands(const FrameResult& result, const CameraIntrinsics& camera);

// Key times (seconds from the first frame): frame k's time rounded DOWN to
// float32, so a player sampling at float(t_k) or at t_k in double shows frame
// k; strictly increasing. One extra key at the end (last time + frame_time),
// so the clip shows the last frame for a whole frame time.
struct RigTiming {
  std::vector<float> keys;       // [T + 1]
  double frame_time = 1.0 / 30;  // median interval of the given times (1/30 for one frame)
  double fps() const { return 1.0 / frame_time; }
};
RigTiming rig_timing(const std::vector<RigFrame>& frames);
// The largest float32 <= t.
float float_at_or_below(double t);

// One hand's rig over the sequence, in rig axes.
struct RigHand {
  bool any_present = false;
  std::array<float, 10> betas{};                   // per component median over present frames
  mano::ShapedHand rest;                           // MANO space (network camera axes), metres
  std::vector<std::array<double, 3>> rest_joints;  // [21] rig axes: 16 joints + 5 tips
  std::vector<int> parents;                        // [21]
  std::vector<uint8_t> present;                    // [T]
  // [T][16] local rotations (rig axes), hemisphere-continuous over time;
  // frames where the hand is absent hold the nearest present frame's values.
  std::vector<std::array<mano::Quat, 16>> rotations;
  std::vector<std::array<double, 3>> root;  // [T] wrist position, rig axes, metres
};
RigHand build_rig_hand(const mano::ManoModel& model, const std::vector<RigFrame>& frames, int hand);

// Rig axes <-> network camera axes (its own inverse).
inline std::array<double, 3> to_rig_axes(const std::array<double, 3>& p) {
  return {p[0], -p[1], -p[2]};
}
inline mano::Quat quat_to_rig_axes(const mano::Quat& q) { return {q[0], -q[1], -q[2], q[3]}; }

}  // namespace intershape::core::exporters
