#pragma once
// MANO on the CPU in double precision, without LibTorch: the shaped rest pose,
// per-joint rotations and forward kinematics, linear blend skinning with or
// without the pose correctives. Same semantics as mano/mano_layer.h (smplx):
// full pose = [global orient, finger pose + hand_mean]. The exporters build
// rigs from it and the tests check rigs against it. Units: metres, MANO space
// (the network's camera axes: x right, y down, z forward). Pure functions.

#include <array>
#include <vector>

#include "mano/mano_model.h"

namespace intershape::mano {

using Mat3 = std::array<double, 9>;  // row-major
using Quat = std::array<double, 4>;  // x, y, z, w (glTF order), unit

// Parent skeleton joint of each fingertip in kFingertipVertices (thumb, index,
// middle, ring, pinky): MANO's joint order is wrist, index 1-3, middle 1-3,
// pinky 1-3, ring 1-3, thumb 1-3.
inline constexpr std::array<int, 5> kFingertipParents = {15, 3, 6, 12, 9};
// Names of the 21 joints (16 skeleton joints, then the fingertips).
const std::array<const char*, 21>& joint_names();

// smplx batch_rodrigues (including its +1e-8 on the angle), axis-angle -> matrix.
Mat3 rodrigues(const double* axis_angle);
Quat quat_from_mat(const Mat3& r);
Mat3 mat_from_quat(const Quat& q);
// Back to axis-angle (angle in [0, pi]).
std::array<double, 3> axis_angle_from_mat(const Mat3& r);
Mat3 mat_mul(const Mat3& a, const Mat3& b);

// The 16 local rotations of a pose: pose48 WITHOUT hand_mean; the mean is added here.
std::array<Mat3, 16> local_rotations(const ManoModel& model, const float* pose48);

struct ShapedHand {
  std::vector<double> verts;   // [778*3] v_template + shapedirs . betas
  std::vector<double> joints;  // [16*3] J_regressor . verts
};
ShapedHand shape_hand(const ManoModel& model, const float* betas10);

struct PosedHand {
  std::vector<double> verts;   // [778*3], model.transl added
  std::vector<double> joints;  // [21*3]: 16 skeleton joints + 5 fingertip vertices, transl added
};
// `pose_correctives` false leaves out posedirs (what a glTF/FBX skin without
// morph targets can reproduce).
PosedHand pose_hand(const ManoModel& model, const ShapedHand& shaped, const float* pose48,
                    bool pose_correctives = true);

}  // namespace intershape::mano
