#pragma once
// The reference's training-time data augmentation
// (Two-Hand-Shape-Pose_v2 common/utils/preprocessing.py: get_aug_config,
// augmentation, generate_patch_image, gen_trans_from_patch_cv), with its
// ranges and its float32/float64 arithmetic, but our own random draws:
// seeded and a pure function of (seed, epoch, dataset index), so that a
// resumed run, any number of loader threads and any number of ranks build
// bit-identical samples. No LibTorch.
//
// One deliberate deviation: a flip also swaps the two hands' MANO validity
// (the reference swaps joints, joint validity, betas and hand type but leaves
// `mano_valid`, so on a flipped sample with one fit missing its shape loss
// pulls the wrong hand's betas towards zero). The reference's box shift is
// written into its dataset list in place; with its DataLoader worker
// processes (fresh copies every epoch) that is one shift per sample and
// epoch, which is what we do.

#include <array>
#include <cstddef>
#include <cstdint>

#include <opencv2/core/mat.hpp>

namespace intershape::core::train {

struct TrainExample;  // core/train/dataset.h

// get_aug_config's ranges.
inline constexpr double kShiftRange = 0.15;  // shift ~ U(-0.15, 0.15) of the box size, x and y
inline constexpr double kScaleRange = 0.25;  // scale = 1 + 0.25 clip(N(0,1), -1, 1)
inline constexpr double kRotRange = 45;      // degrees: 45 clip(N(0,1), -2, 2) ...
inline constexpr double kRotProb = 0.6;      // ... with probability 0.6, otherwise 0
inline constexpr double kFlipProb = 0.5;
inline constexpr double kColorRange = 0.2;  // per channel factor ~ U(0.8, 1.2)

// One sample's augmentation. The default is the identity (the reference's
// test branch): the crop and targets are then exactly the un-augmented ones.
struct AugmentParams {
  double shift_x = 0, shift_y = 0;  // fractions of the processed box's width / height
  double scale = 1;                 // source window = box size * scale
  double rot_deg = 0;               // the image content turns by -rot_deg in the crop (see below)
  bool flip = false;                // horizontal mirror, hands swapped
  std::array<double, 3> color = {1, 1, 1};  // R, G, B factors
  bool is_identity() const;
};

// The draws for dataset sample `index` in `epoch` of a run seeded `seed`:
// SplitMix64 of (seed, epoch, index), uniforms from 53 bits, normals by
// Box-Muller, written out so that they depend on no standard-library
// distribution. Every draw is made whether used or not (the stream layout is
// fixed).
AugmentParams draw_augment(uint64_t seed, int epoch, size_t index);

// The processed box (x, y, w, h) moved by the shift: x += w shift_x,
// y += h shift_y (float32 results, as the reference stores them).
std::array<float, 4> shifted_box(const std::array<float, 4>& processed_box, const AugmentParams& p);

// The 2x3 float32 affine from image pixels to the 256x256 crop (inverse: crop
// to image) for an already shifted box: the box centre goes to (128, 128),
// box size * scale to 256 pixels, and the source direction at +rot_deg
// (image axes, y down) to the crop's +x. With p.flip the matrix applies to the
// mirrored image (x -> width - 1 - x), whose box centre is width - 1 - cx.
cv::Mat augment_affine(const std::array<float, 4>& shifted, int image_width, const AugmentParams& p,
                       bool inverse = false);

// Where image pixel (x, y) of the original (unmirrored) image lands in the
// crop: augment_affine composed with the mirror when p.flip.
cv::Point2d image_to_crop(const std::array<float, 4>& shifted, int image_width,
                          const AugmentParams& p, cv::Point2d image_point);

// The network input for a BGR uint8 image: RGB float32, mirrored if p.flip,
// warpAffine (INTER_LINEAR, constant-0 border) with augment_affine of the
// shifted box, each channel times its colour factor (in float64) and clipped
// to [0, 255], /255, written as [3, 256, 256] floats to `out`. With the
// identity it is core::eval::crop_input bit for bit.
void augmented_crop(const cv::Mat& bgr, const std::array<float, 4>& processed_box,
                    const AugmentParams& p, float* out);

// The targets under p, in the reference's order: with p.flip, camera x
// negated and right/left swapped (joints, joint validity, betas, hand type,
// MANO validity); then camera (x, y) turned about the optical axis with the
// image: x' = cos r x + sin r y, y' = -sin r x + cos r y (r = rot_deg, in
// float64, stored float32); depth unchanged.
void augment_targets(const AugmentParams& p, TrainExample& ex);

}  // namespace intershape::core::train
