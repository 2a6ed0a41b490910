#pragma once
// The reference's InterHand2.6M test protocol (Two-Hand-Shape-Pose_v2
// data/InterHand2.6M/dataset.py and main/eval.py), quirks included, so its
// numbers are reproduced to the digit. Plain C++ and OpenCV; the MANO forward
// for the ground truth is in core/eval/ground_truth.h.
//
// Joint orders. InterHand order (annotations): per hand 0 thumb tip .. 20 wrist.
// Reference order (network outputs, ground truth, metrics): per hand 0 wrist,
// 1-3 index, 4-6 middle, 7-9 pinky, 10-12 ring, 13-15 thumb, 16-20 tips
// (thumb, index, middle, ring, pinky); right 0-20, left 21-41. Root = middle
// MCP (4 / 25), wrist 0 / 21.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/eval/interhand.h"

namespace intershape::core::eval {

inline constexpr int kJoints = 42;
inline constexpr int kHandJoints = 21;
inline constexpr int kHandVerts = 778;
inline constexpr int kCrop = 256;
inline constexpr int kRoot[2] = {4, 25};
inline constexpr int kWrist[2] = {0, 21};

// "r_wrist", "r_index1", ... in reference order (the reference's skeleton names).
const std::array<std::string, kJoints>& joint_names();

// One evaluated sample: an interacting-hand annotation whose frame has a MANO entry.
struct EvalSample {
  size_t ann = 0;                         // index into Annotations::samples
  std::array<float, kJoints> joint_valid{};  // after the index quirk and null fits (see below)
  std::array<float, 2> mano_valid{};         // 1 where the hand has a fit
  std::array<float, 4> bbox_processed{};     // x, y, w, h (square, x1.25)
};

// The reference's list, in its order: annotations in file order, single-hand
// ones skipped (the reference runs with use_sh=False), frames without a MANO
// entry skipped. The validity mask is the annotation's InterHand-order flags,
// right joints 0-20 multiplied by flags[4]*flags[0], left 21-41 by
// flags[25]*flags[21] (reference-order indices applied to the InterHand-order
// array: the reference's quirk, kept), and a hand without a fit zeroed.
// The mask is then used as is against reference-order joints.
std::vector<EvalSample> build_eval_list(const Annotations& annotations);

// process_bbox: square (the shorter side grown to the longer), both sides
// x1.25, same centre. float64 arithmetic on float32 inputs, stored float32.
std::array<float, 4> process_bbox(const std::array<float, 4>& bbox);

// The 2x3 float32 affine from image pixels to the 256x256 crop (inverse: crop
// to image), as the reference builds it with cv::getAffineTransform.
cv::Mat crop_affine(const std::array<float, 4>& processed_box, bool inverse = false);

// The network input from a BGR uint8 image: RGB, float32, warpAffine
// (INTER_LINEAR, constant-0 border) with crop_affine, clip to [0, 255], /255,
// written as [3, 256, 256] (C, H, W) floats to `out`.
void crop_input(const cv::Mat& bgr, const std::array<float, 4>& processed_box, float* out);

// World (mm) to camera (mm): camrot (X - campos), float32 as the reference.
void world_to_camera(const Camera& cam, const float* world, float* out, int n);

// ---------------------------------------------------------------------------
// Scoring one sample.

struct SampleScore {
  std::array<float, kJoints * 3> aligned{};  // scale-aligned prediction (camera mm)
  std::array<float, kJoints> joint_error{};  // mm; NaN where the mask is 0
  std::array<double, 2> vertex_error_sum{};  // sum over 778 vertices, hands with a fit
  std::array<uint8_t, 2> hand_counted{};     // hands counted in MPVPE (mano_valid)
};

// pred_joints [42, 3] and pred_verts [1556, 3] in the network's frame (mm);
// gt_joints_cam [42, 3] camera mm; gt_verts_cam[h] [778, 3] camera mm, or null
// for a hand without a fit. Per hand: s = |G_r - G_w| / |P_r - P_w|,
// P' = (P - P_r) s + G_r for its 21 joints and (fit only) its 778 vertices.
// vertex_errors, when given, receives [2, 778] errors (NaN for hands not counted).
SampleScore score_sample(const float* pred_joints, const float* pred_verts,
                         const float* gt_joints_cam, const std::array<float, kJoints>& joint_valid,
                         const std::array<float, 2>& mano_valid,
                         const std::array<const float*, 2>& gt_verts_cam,
                         std::vector<float>* vertex_errors = nullptr);

// ---------------------------------------------------------------------------
// The figures, from the scores of all samples (any order: they are sorted out).

struct Metrics {
  std::array<double, kJoints> mpjpe_per_joint{};  // mean over valid samples; NaN if none
  std::array<int64_t, kJoints> mpjpe_valid_counts{};
  double mpjpe = 0;   // mean of the 42 per-joint means (NaN if a joint has no sample)
  double mpvpe = 0;   // mean over all vertices of all hands with a fit
  int64_t mpvpe_hands_counted = 0;
  double auc_0_50 = 0;
  double epe_mean = 0, epe_median = 0;  // mean over joints of the per-joint mean / median
  std::vector<double> thresholds_0_50, pck_curve_0_50;  // 200 each
  double auc_0_100 = 0, auc_20_50 = 0, auc_0_30 = 0;
  int64_t samples = 0;
  // Extra (not the reference's): mean over all valid joint instances, the
  // usual MPJPE definition; it weighs joints by how often they are valid.
  double mpjpe_over_valid_instances = 0;
};

Metrics compute_metrics(const std::vector<const SampleScore*>& scores);

}  // namespace intershape::core::eval
