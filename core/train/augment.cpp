#include "core/train/augment.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/train/dataset.h"

namespace intershape::core::train {
namespace {

constexpr double kPi = 3.14159265358979323846;  // numpy's np.pi

uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// SplitMix64 seeded from (seed, epoch, index). The domain constant keeps this
// stream apart from the epoch order's (sampler.cpp), which mixes the same
// seed and epoch.
class Draws {
 public:
  Draws(uint64_t seed, int epoch, size_t index) {
    state_ = mix64(seed ^ 0xA0761D6478BD642Full);
    state_ =
        mix64(state_ + static_cast<uint64_t>(static_cast<int64_t>(epoch)) * 0xE7037ED1A0B428DBull);
    state_ = mix64(state_ ^ (static_cast<uint64_t>(index) * 0x8EBC6AF09C88C6E3ull + 1));
  }
  double uniform() {  // [0, 1), like Python's random.random()
    state_ += 0x9E3779B97F4A7C15ull;
    return static_cast<double>(mix64(state_) >> 11) * 0x1.0p-53;
  }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }  // random.uniform
  double normal() {  // Box-Muller; 1 - u is in (0, 1] so the log is finite
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * kPi * u2);
  }

 private:
  uint64_t state_ = 0;
};

}  // namespace

bool AugmentParams::is_identity() const {
  return shift_x == 0 && shift_y == 0 && scale == 1 && rot_deg == 0 && !flip && color[0] == 1 &&
         color[1] == 1 && color[2] == 1;
}

AugmentParams draw_augment(uint64_t seed, int epoch, size_t index) {
  // get_aug_config's order: shift x, shift y, scale, rotation (coin, angle),
  // flip, colour R G B.
  Draws d(seed, epoch, index);
  AugmentParams p;
  p.shift_x = d.uniform(-kShiftRange, kShiftRange);
  p.shift_y = d.uniform(-kShiftRange, kShiftRange);
  p.scale = std::clamp(d.normal(), -1.0, 1.0) * kScaleRange + 1.0;
  const bool rotate = d.uniform() <= kRotProb;
  const double angle = std::clamp(d.normal(), -2.0, 2.0) * kRotRange;
  p.rot_deg = rotate ? angle : 0.0;
  p.flip = d.uniform() <= kFlipProb;
  for (double& c : p.color) c = d.uniform(1.0 - kColorRange, 1.0 + kColorRange);
  return p;
}

std::array<float, 4> shifted_box(const std::array<float, 4>& b, const AugmentParams& p) {
  // float32 box + float32 * Python float: float64, stored back into float32.
  std::array<float, 4> out = b;
  out[0] = static_cast<float>(static_cast<double>(b[0]) + static_cast<double>(b[2]) * p.shift_x);
  out[1] = static_cast<float>(static_cast<double>(b[1]) + static_cast<double>(b[3]) * p.shift_y);
  return out;
}

cv::Mat augment_affine(const std::array<float, 4>& box, int image_width, const AugmentParams& p,
                       bool inverse) {
  // gen_trans_from_patch_cv: centre and sizes in float64, the three point
  // pairs in float32, the rotated half-axes rounded to float32 (rotate_2d).
  double cx = static_cast<double>(box[0]) + 0.5 * static_cast<double>(box[2]);
  const double cy = static_cast<double>(box[1]) + 0.5 * static_cast<double>(box[3]);
  if (p.flip) cx = static_cast<double>(image_width) - cx - 1.0;
  const double src_w = static_cast<double>(box[2]) * p.scale;
  const double src_h = static_cast<double>(box[3]) * p.scale;
  const double rot_rad = kPi * p.rot_deg / 180.0;
  const double sn = std::sin(rot_rad), cs = std::cos(rot_rad);
  const double half_h = static_cast<float>(src_h * 0.5);
  const double half_w = static_cast<float>(src_w * 0.5);
  const cv::Point2f down(static_cast<float>(0.0 * cs - half_h * sn),
                         static_cast<float>(0.0 * sn + half_h * cs));
  const cv::Point2f right(static_cast<float>(half_w * cs - 0.0 * sn),
                          static_cast<float>(half_w * sn + 0.0 * cs));
  const cv::Point2f c(static_cast<float>(cx), static_cast<float>(cy));
  const cv::Point2f src[3] = {c, c + down, c + right};
  const cv::Point2f dst[3] = {{128.f, 128.f}, {128.f, 256.f}, {256.f, 128.f}};
  cv::Mat m = inverse ? cv::getAffineTransform(dst, src) : cv::getAffineTransform(src, dst);
  cv::Mat m32;
  m.convertTo(m32, CV_32F);
  return m32;
}

cv::Point2d image_to_crop(const std::array<float, 4>& box, int image_width, const AugmentParams& p,
                          cv::Point2d q) {
  const cv::Mat m = augment_affine(box, image_width, p);
  if (p.flip) q.x = image_width - 1 - q.x;
  const auto a = [&m](int r, int c) { return static_cast<double>(m.at<float>(r, c)); };
  return {a(0, 0) * q.x + a(0, 1) * q.y + a(0, 2), a(1, 0) * q.x + a(1, 1) * q.y + a(1, 2)};
}

void augmented_crop(const cv::Mat& bgr, const std::array<float, 4>& processed_box,
                    const AugmentParams& p, float* out) {
  constexpr int kCrop = 256, kPlane = kCrop * kCrop;
  cv::Mat rgb, rgbf, patch;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(rgbf, CV_32FC3);  // float before warping, as load_img does
  if (p.flip) {
    cv::Mat mirrored;
    cv::flip(rgbf, mirrored, 1);
    rgbf = mirrored;
  }
  const std::array<float, 4> box = shifted_box(processed_box, p);
  cv::warpAffine(rgbf, patch, augment_affine(box, bgr.cols, p), cv::Size(kCrop, kCrop),
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  // img * color_scale is float64 (a float64 factor array), clipped, then
  // float32 again before /255.
  for (int y = 0; y < kCrop; ++y) {
    const float* row = patch.ptr<float>(y);
    for (int x = 0; x < kCrop; ++x)
      for (int c = 0; c < 3; ++c) {
        const double v = std::clamp(static_cast<double>(row[3 * x + c]) * p.color[c], 0.0, 255.0);
        out[c * kPlane + y * kCrop + x] = static_cast<float>(v) / 255.f;
      }
  }
}

void augment_targets(const AugmentParams& p, TrainExample& ex) {
  constexpr int kHand = 21;
  if (p.flip) {
    for (int j = 0; j < 2 * kHand; ++j) ex.joint_coord[3 * j] = -ex.joint_coord[3 * j];
    std::swap_ranges(ex.joint_coord.begin(), ex.joint_coord.begin() + 3 * kHand,
                     ex.joint_coord.begin() + 3 * kHand);
    std::swap_ranges(ex.joint_valid.begin(), ex.joint_valid.begin() + kHand,
                     ex.joint_valid.begin() + kHand);
    std::swap_ranges(ex.shape_param.begin(), ex.shape_param.begin() + 10,
                     ex.shape_param.begin() + 10);
    std::swap(ex.hand_type[0], ex.hand_type[1]);
    std::swap(ex.mano_valid[0], ex.mano_valid[1]);
  }
  // joint_coord[:, :2] @ [[cs, sn], [-sn, cs]].T in float64; applied for
  // every sample as the reference does (exact for a zero angle).
  const double rot_rad = kPi * p.rot_deg / 180.0;
  const double sn = std::sin(rot_rad), cs = std::cos(rot_rad);
  for (int j = 0; j < 2 * kHand; ++j) {
    const double x = ex.joint_coord[3 * j], y = ex.joint_coord[3 * j + 1];
    ex.joint_coord[3 * j] = static_cast<float>(x * cs + y * sn);
    ex.joint_coord[3 * j + 1] = static_cast<float>(x * -sn + y * cs);
  }
}

}  // namespace intershape::core::train
