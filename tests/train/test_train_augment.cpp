// The reference's augmentation (core/train/augment.h), each piece checked by a
// property that a wrong implementation breaks: the identity is the
// un-augmented crop bit for bit; a flip twice is the identity on the targets
// and mirrors the crop; bright dots drawn at joints' projections land, after
// any augmentation, where the affine says and where the augmented 3D joints
// project; the 3D rotation is rigid about the optical axis; colour factors
// scale and clip per channel; the box shift and scale; the draws are a pure
// function of (seed, epoch, index) with the reference's distributions.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <tuple>
#include <vector>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/eval/protocol.h"
#include "core/train/augment.h"
#include "core/train/dataset.h"

namespace ev = intershape::core::eval;
using namespace intershape::core::train;

namespace {

constexpr int kPlane = 256 * 256;
constexpr double kFocal = 600, kPx = 256, kPy = 167;  // a 512x334 camera, fx = fy
constexpr int kW = 512, kH = 334;

int swapped(int j) { return j < 21 ? j + 21 : j - 21; }

cv::Point2d project(const float* xyz) {
  return {kFocal * xyz[0] / xyz[2] + kPx, kFocal * xyz[1] / xyz[2] + kPy};
}

// 42 joints in camera mm; the four drawn ones (right root 4, wrist 0, left
// root 25, wrist 21) well apart in the image, the others anywhere in front.
TrainExample synthetic_example() {
  TrainExample ex;
  cv::RNG rng(5);
  for (int j = 0; j < 42; ++j) {
    ex.joint_coord[3 * j] = static_cast<float>(rng.uniform(-60.0, 60.0));
    ex.joint_coord[3 * j + 1] = static_cast<float>(rng.uniform(-40.0, 40.0));
    ex.joint_coord[3 * j + 2] = static_cast<float>(rng.uniform(700.0, 800.0));
    ex.joint_valid[j] = j % 5 == 0 ? 0.f : 1.f;
  }
  const float fixed[4][4] = {
      {4, -40, -20, 750}, {0, -40, 30, 760}, {25, 40, -25, 740}, {21, 45, 25, 770}};
  for (const auto& f : fixed)
    for (int k = 0; k < 3; ++k) ex.joint_coord[3 * static_cast<int>(f[0]) + k] = f[k + 1];
  for (int k = 0; k < 20; ++k) ex.shape_param[k] = 0.1f * static_cast<float>(k + 1);
  ex.hand_type = {1.f, 0.f};
  ex.mano_valid = {1.f, 0.f};
  return ex;
}

constexpr int kDots[4] = {4, 0, 25, 21};

// A black image with a Gaussian dot (sigma 2 px, peak 200) at each drawn joint.
cv::Mat dot_image(const TrainExample& ex) {
  cv::Mat f(kH, kW, CV_32F, cv::Scalar(0));
  for (int j : kDots) {
    const cv::Point2d p = project(&ex.joint_coord[3 * j]);
    for (int y = 0; y < kH; ++y)
      for (int x = 0; x < kW; ++x) {
        const double d2 = (x - p.x) * (x - p.x) + (y - p.y) * (y - p.y);
        f.at<float>(y, x) += static_cast<float>(200.0 * std::exp(-d2 / 8.0));
      }
  }
  cv::Mat u8, bgr;
  f.convertTo(u8, CV_8U);
  cv::cvtColor(u8, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

// Intensity-weighted centroid of the green plane in a window around `guess`.
cv::Point2d find_dot(const std::vector<float>& img, cv::Point2d guess, int radius) {
  double sw = 0, sx = 0, sy = 0;
  for (int y = static_cast<int>(guess.y) - radius; y <= static_cast<int>(guess.y) + radius; ++y)
    for (int x = static_cast<int>(guess.x) - radius; x <= static_cast<int>(guess.x) + radius; ++x) {
      if (x < 0 || y < 0 || x >= 256 || y >= 256) continue;
      const double v = img[kPlane + y * 256 + x];
      sw += v, sx += v * x, sy += v * y;
    }
  return sw > 0 ? cv::Point2d(sx / sw, sy / sw) : cv::Point2d(-1e9, -1e9);
}

std::vector<float> crop(const cv::Mat& bgr, const std::array<float, 4>& box,
                        const AugmentParams& p) {
  std::vector<float> out(3 * kPlane);
  augmented_crop(bgr, box, p, out.data());
  return out;
}

const std::array<float, 4> kBox = ev::process_bbox({195.f, 125.f, 110.f, 80.f});

}  // namespace

TEST_CASE("augment: the identity is the un-augmented crop and targets, bit for bit") {
  const cv::Mat bgr = cv::imread(std::string(INTERSHAPE_TEST_DATA) +
                                 "/interhand/InterHand2.6M_5fps_batch1/images/train/Capture13/"
                                 "0268_dh_pray/cam400108/image8412.jpg");
  REQUIRE(!bgr.empty());
  const std::array<float, 4> box = ev::process_bbox({101.3f, 87.7f, 140.1f, 161.9f});
  std::vector<float> want(3 * kPlane);
  ev::crop_input(bgr, box, want.data());
  CHECK(crop(bgr, box, AugmentParams{}) == want);
  const cv::Mat a = augment_affine(box, bgr.cols, AugmentParams{});
  const cv::Mat b = ev::crop_affine(box);
  CHECK(cv::norm(a, b, cv::NORM_INF) == 0);
  CHECK(AugmentParams{}.is_identity());

  TrainExample ex = synthetic_example();
  const TrainExample before = ex;
  augment_targets(AugmentParams{}, ex);
  CHECK(ex.joint_coord == before.joint_coord);
  CHECK(ex.joint_valid == before.joint_valid);
}

TEST_CASE("augment: a flip swaps the hands and negates x; twice is the identity on the targets") {
  AugmentParams flip;
  flip.flip = true;
  const TrainExample before = synthetic_example();
  TrainExample ex = before;
  augment_targets(flip, ex);
  for (int j = 0; j < 42; ++j) {
    const int o = swapped(j);
    CHECK(ex.joint_coord[3 * j] == -before.joint_coord[3 * o]);
    CHECK(ex.joint_coord[3 * j + 1] == before.joint_coord[3 * o + 1]);
    CHECK(ex.joint_coord[3 * j + 2] == before.joint_coord[3 * o + 2]);
    CHECK(ex.joint_valid[j] == before.joint_valid[o]);
  }
  for (int k = 0; k < 20; ++k) CHECK(ex.shape_param[k] == before.shape_param[(k + 10) % 20]);
  CHECK(ex.hand_type == std::array<float, 2>{0.f, 1.f});
  CHECK(ex.mano_valid == std::array<float, 2>{0.f, 1.f});
  augment_targets(flip, ex);
  CHECK(ex.joint_coord == before.joint_coord);
  CHECK(ex.joint_valid == before.joint_valid);
  CHECK(ex.shape_param == before.shape_param);
  CHECK(ex.hand_type == before.hand_type);
  CHECK(ex.mano_valid == before.mano_valid);
}

TEST_CASE(
    "augment: the flipped crop is the crop mirrored about column 128 (turned the other way)") {
  // A smooth image, so that bilinear sampling at mirrored positions agrees
  // to within the warp's 1/32-pixel coordinate rounding.
  cv::Mat bgr(kH, kW, CV_8UC3);
  for (int y = 0; y < kH; ++y)
    for (int x = 0; x < kW; ++x)
      for (int c = 0; c < 3; ++c)
        bgr.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uchar>(
            128 + 100 * std::sin(0.031 * x * (c + 1) + 0.017 * y) * std::cos(0.023 * y - 0.2 * c));
  for (const AugmentParams& base :
       {AugmentParams{}, draw_augment(3, 1, 2), draw_augment(3, 1, 9)}) {
    // A mirror reverses the turn: flip with angle r = mirror of the crop at -r.
    AugmentParams plain = base, flipped = base;
    plain.flip = false;
    plain.rot_deg = -base.rot_deg;
    flipped.flip = true;
    const std::vector<float> a = crop(bgr, kBox, plain), b = crop(bgr, kBox, flipped);
    double worst = 0;
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 256; ++y)
        for (int x = 1; x < 256; ++x)
          worst =
              std::max(worst, static_cast<double>(std::fabs(b[c * kPlane + y * 256 + x] -
                                                            a[c * kPlane + y * 256 + 256 - x])));
    CHECK(worst < 1.5 / 255);
  }
}

TEST_CASE("augment: dots at the joints' projections move with the pixels and the 3D targets") {
  const TrainExample before = synthetic_example();
  const cv::Mat bgr = dot_image(before);
  std::vector<AugmentParams> cases;
  for (size_t i = 0; i < 24; ++i) cases.push_back(draw_augment(11, 2, i));
  AugmentParams p;
  p.rot_deg = 90, p.flip = true, p.scale = 1.2;  // a quarter turn, mirrored
  cases.push_back(p);
  p.rot_deg = -37, p.flip = false, p.scale = 0.8, p.shift_x = 0.1, p.shift_y = -0.12;
  cases.push_back(p);
  int compared = 0, flipped = 0, turned = 0;
  for (const AugmentParams& a : cases) {
    const std::vector<float> img = crop(bgr, kBox, a);
    const std::array<float, 4> box = shifted_box(kBox, a);
    TrainExample ex = before;
    augment_targets(a, ex);
    const double s = 256.0 / (static_cast<double>(box[2]) * a.scale);  // crop px per image px
    std::vector<std::pair<int, cv::Point2d>> found;
    for (int j : kDots) {
      const cv::Point2d guess = image_to_crop(box, kW, a, project(&before.joint_coord[3 * j]));
      if (guess.x < 14 || guess.y < 14 || guess.x > 242 || guess.y > 242) continue;
      const cv::Point2d dot = find_dot(img, guess, static_cast<int>(6 * s) + 2);
      // The pixels moved as the affine says (a wrong flip centre is 1 px off).
      CHECK_MESSAGE(cv::norm(dot - guess) < 0.2, "joint " << j << " " << dot << " vs " << guess);
      found.emplace_back(j, dot);
    }
    // The targets moved with them: differences between dots are the
    // differences between the augmented joints' projections, scaled.
    for (size_t k = 1; k < found.size(); ++k) {
      const int j0 = a.flip ? swapped(found[0].first) : found[0].first;
      const int j1 = a.flip ? swapped(found[k].first) : found[k].first;
      const cv::Point2d want =
          s * (project(&ex.joint_coord[3 * j1]) - project(&ex.joint_coord[3 * j0]));
      const cv::Point2d got = found[k].second - found[0].second;
      CHECK_MESSAGE(cv::norm(got - want) < 0.3, "pair " << found[0].first << "-" << found[k].first
                                                        << " " << got << " vs " << want);
      ++compared;
    }
    flipped += a.flip;
    turned += a.rot_deg != 0;
  }
  CHECK(compared >= 40);
  CHECK(flipped >= 5);
  CHECK(turned >= 5);
}

TEST_CASE("augment: the 3D rotation turns about the optical axis, keeps depth and bone lengths") {
  const TrainExample before = synthetic_example();
  for (double deg : {90.0, -33.0, 71.5}) {
    AugmentParams p;
    p.rot_deg = deg;
    TrainExample ex = before;
    augment_targets(p, ex);
    const double r = deg * M_PI / 180;
    for (int j = 0; j < 42; ++j) {
      const float* o = &before.joint_coord[3 * j];
      const float* n = &ex.joint_coord[3 * j];
      CHECK(n[2] == o[2]);
      // By -deg in the (x, y) plane: the image's content turns the same way.
      const double turned = std::atan2(n[1], n[0]) - std::atan2(o[1], o[0]);
      CHECK(std::fabs(std::remainder(turned + r, 2 * M_PI)) < 1e-4);
      for (int k = 0; k < 42; ++k) {
        const float* o2 = &before.joint_coord[3 * k];
        const float* n2 = &ex.joint_coord[3 * k];
        const double d0 = std::hypot(o[0] - o2[0], o[1] - o2[1], o[2] - o2[2]);
        const double d1 = std::hypot(n[0] - n2[0], n[1] - n2[1], n[2] - n2[2]);
        CHECK(std::fabs(d1 - d0) < 1e-3);
      }
    }
    if (deg == 90.0)  // (x, y) -> (y, -x)
      CHECK(ex.joint_coord[0] == doctest::Approx(before.joint_coord[1]).epsilon(1e-6));
  }
}

TEST_CASE("augment: colour factors scale each channel and clip at 1") {
  cv::Mat bgr(kH, kW, CV_8UC3);
  cv::randu(bgr, cv::Scalar(150, 150, 150), cv::Scalar(256, 256, 256));
  AugmentParams p;
  p.color = {0.8, 1.0, 1.19};
  const std::vector<float> plain = crop(bgr, kBox, AugmentParams{}), scaled = crop(bgr, kBox, p);
  int clipped = 0;
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < kPlane; ++i) {
      const float a = plain[c * kPlane + i], b = scaled[c * kPlane + i];
      REQUIRE(b <= 1.f);
      CHECK(std::fabs(b - std::min(a * p.color[c], 1.0)) < 2e-6);
      clipped += b == 1.f && a < 1.f;
    }
  CHECK(clipped > 1000);  // the third factor pushed many bright pixels past 255
}

TEST_CASE("augment: the shift moves the box, the scale sizes the source window") {
  AugmentParams p;
  p.shift_x = 0.1, p.shift_y = -0.05, p.scale = 1.25;
  const std::array<float, 4> b = shifted_box(kBox, p);
  CHECK(b[0] == static_cast<float>(kBox[0] + static_cast<double>(kBox[2]) * 0.1));
  CHECK(b[1] == static_cast<float>(kBox[1] - static_cast<double>(kBox[3]) * 0.05));
  CHECK(b[2] == kBox[2]);
  CHECK(b[3] == kBox[3]);
  // The shifted box's centre is the crop's centre; half the box times the
  // scale reaches the crop's edge.
  const double cx = b[0] + 0.5 * b[2], cy = b[1] + 0.5 * b[3];
  const cv::Point2d c = image_to_crop(b, kW, p, {cx, cy});
  CHECK(c.x == doctest::Approx(128).epsilon(1e-5));
  CHECK(c.y == doctest::Approx(128).epsilon(1e-5));
  const cv::Point2d e = image_to_crop(b, kW, p, {cx + 0.5 * b[2] * 1.25, cy - 0.5 * b[3] * 1.25});
  CHECK(e.x == doctest::Approx(256).epsilon(1e-5));
  CHECK(std::fabs(e.y) < 1e-3);
}

TEST_CASE("augment: the draws are a pure function of (seed, epoch, index)") {
  auto key = [](const AugmentParams& p) {
    return std::make_tuple(p.shift_x, p.shift_y, p.scale, p.rot_deg, p.flip, p.color[0], p.color[1],
                           p.color[2]);
  };
  CHECK(key(draw_augment(1, 2, 3)) == key(draw_augment(1, 2, 3)));
  std::set<decltype(key(AugmentParams{}))> seen;
  for (uint64_t seed : {0ull, 1ull, 12345ull})
    for (int epoch : {0, 1, 99})
      for (size_t i : {size_t{0}, size_t{1}, size_t{2}, size_t{366357}})
        seen.insert(key(draw_augment(seed, epoch, i)));
  CHECK(seen.size() == 3 * 3 * 4);
}

TEST_CASE("augment: the draws follow get_aug_config's distributions") {
  const int n = 40000;
  int rotated = 0, at_90 = 0, flips = 0, scale_low = 0, scale_high = 0, scale_mid = 0;
  double rot_sq = 0, shift_sum = 0, shift_sq = 0, color_sum = 0, color_sq = 0, color_rg = 0;
  for (int i = 0; i < n; ++i) {
    const AugmentParams p = draw_augment(42, 0, static_cast<size_t>(i));
    REQUIRE(p.shift_x >= -0.15);
    REQUIRE(p.shift_x < 0.15);
    REQUIRE(std::fabs(p.shift_y) <= 0.15);
    REQUIRE(p.scale >= 0.75);
    REQUIRE(p.scale <= 1.25);
    REQUIRE(std::fabs(p.rot_deg) <= 90);
    for (double c : p.color) {
      REQUIRE(c >= 0.8);
      REQUIRE(c < 1.2);
    }
    rotated += p.rot_deg != 0;
    at_90 += std::fabs(p.rot_deg) == 90;
    rot_sq += p.rot_deg * p.rot_deg;
    flips += p.flip;
    scale_low += p.scale == 0.75;
    scale_high += p.scale == 1.25;
    scale_mid += std::fabs(p.scale - 1) < 0.125;  // |N| < 0.5
    shift_sum += p.shift_x, shift_sq += p.shift_x * p.shift_x;
    color_sum += p.color[0], color_sq += (p.color[0] - 1) * (p.color[0] - 1);
    color_rg += (p.color[0] - 1) * (p.color[1] - 1);
  }
  // Binomial proportions within ~4 standard deviations.
  CHECK(std::fabs(rotated / double(n) - 0.6) < 0.01);
  CHECK(std::fabs(flips / double(n) - 0.5) < 0.01);
  CHECK(at_90 / double(rotated) == doctest::Approx(0.0455).epsilon(0.15));  // P(|N| >= 2)
  CHECK(scale_low / double(n) == doctest::Approx(0.1587).epsilon(0.05));    // P(N <= -1)
  CHECK(scale_high / double(n) == doctest::Approx(0.1587).epsilon(0.05));
  CHECK(scale_mid / double(n) == doctest::Approx(0.3829).epsilon(0.03));
  // 45 clip(N, -2, 2): E[clip^2] = 0.9205, sd 43.2 degrees when rotated.
  CHECK(std::sqrt(rot_sq / rotated) == doctest::Approx(43.17).epsilon(0.02));
  CHECK(std::fabs(shift_sum / n) < 0.003);
  CHECK(shift_sq / n == doctest::Approx(0.0075).epsilon(0.03));  // U(-0.15, 0.15): 0.3^2 / 12
  CHECK(color_sum / n == doctest::Approx(1).epsilon(0.003));
  CHECK(color_sq / n == doctest::Approx(0.4 * 0.4 / 12).epsilon(0.03));
  CHECK(std::fabs(color_rg / n) < 0.05 * 0.4 * 0.4 / 12);  // channels independent
}
