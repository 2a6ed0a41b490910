// MediaPipe's hand pipeline without the models: anchors, palm decoding, the
// weighted suppression, letterbox, hand regions (checked against the regions
// MediaPipe itself computed from its palms on real photos), projections,
// crops, the crop localiser and the tracking logic (fake models).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <deque>

#include <opencv2/core.hpp>

#include "core/detect/anchors.h"
#include "core/detect/hand_geometry.h"
#include "core/detect/hand_localiser.h"
#include "core/detect/hand_tracker.h"
#include "core/detect/image_crop.h"
#include "core/detect/palm_decode.h"
#include "tests/core/detect/fake_models.h"
#include "tests/core/detect/oracle_json.h"

namespace det = intershape::core::detect;
using intershape::tests::FakeLandmarker;
using intershape::tests::FakePalm;
using intershape::tests::palm_at;
using intershape::tests::read_oracle;

namespace {
constexpr float kPi = 3.14159265358979323846f;
const std::string kData = INTERSHAPE_TEST_DATA;

det::PalmDetection box(float x0, float y0, float w, float h, float score) {
  det::PalmDetection d;
  d.xmin = x0;
  d.ymin = y0;
  d.width = w;
  d.height = h;
  d.score = score;
  for (int k = 0; k < det::kPalmKeypoints; ++k) d.keypoints[k] = {x0 + 0.01f * k, y0};
  return d;
}
}  // namespace

TEST_CASE("SSD anchors for palm_detection_full: 2016, in the model's row order") {
  const auto a = det::generate_ssd_anchors(det::SsdAnchorOptions::palm_192());
  REQUIRE(a.size() == 2016);
  // 24x24 cells x 2 anchors (stride 8), then 12x12 cells x 6 (three stride-16 layers merged).
  CHECK(a[0].x_center == doctest::Approx(0.5 / 24));
  CHECK(a[1].x_center == doctest::Approx(0.5 / 24));  // second anchor of the same cell
  CHECK(a[2].x_center == doctest::Approx(1.5 / 24));
  CHECK(a[2 * 24].y_center == doctest::Approx(1.5 / 24));
  CHECK(a[1151].x_center == doctest::Approx(23.5 / 24));
  CHECK(a[1152].x_center == doctest::Approx(0.5 / 12));
  CHECK(a[1152 + 5].x_center == doctest::Approx(0.5 / 12));
  CHECK(a[1152 + 6].x_center == doctest::Approx(1.5 / 12));
  CHECK(a[2015].y_center == doctest::Approx(11.5 / 12));
  for (const auto& x : a) CHECK((x.width == 1.f && x.height == 1.f));
  det::SsdAnchorOptions bad;
  bad.strides = {8};
  CHECK_THROWS(det::generate_ssd_anchors(bad));
}

TEST_CASE("palm decoding: box and keypoints against the anchor, sigmoid, threshold") {
  std::vector<det::Anchor> anchors(3);
  anchors[0] = {0.25f, 0.5f, 1.f, 1.f};
  anchors[1] = {0.75f, 0.5f, 1.f, 1.f};
  anchors[2] = {0.5f, 0.5f, 1.f, 1.f};
  std::vector<float> boxes(3 * 18, 0.f), scores{2.f, -3.f, 1000.f};
  // Anchor 0: centre moved by (+19.2, -9.6) px of 192, size 48 x 96 px.
  boxes[0] = 19.2f;
  boxes[1] = -9.6f;
  boxes[2] = 48.f;
  boxes[3] = 96.f;
  boxes[4 + 2 * 3] = -96.f;  // keypoint 3 x
  boxes[4 + 2 * 3 + 1] = 96.f;
  boxes[2 * 18 + 2] = -1.f;  // anchor 2: negative width, dropped
  det::PalmDecodeOptions o;
  const auto d = det::decode_palms(boxes.data(), scores.data(), anchors, o);
  REQUIRE(d.size() == 1);  // anchor 1 below 0.5, anchor 2 invalid
  CHECK(d[0].score == doctest::Approx(1.0 / (1.0 + std::exp(-2.0))));
  CHECK(d[0].xmin == doctest::Approx(0.25 + 0.1 - 0.125));
  CHECK(d[0].ymin == doctest::Approx(0.5 - 0.05 - 0.25));
  CHECK(d[0].width == doctest::Approx(0.25));
  CHECK(d[0].height == doctest::Approx(0.5));
  CHECK(d[0].keypoints[3].x == doctest::Approx(-0.25));
  CHECK(d[0].keypoints[3].y == doctest::Approx(1.0));
  CHECK(d[0].keypoints[0].x == doctest::Approx(0.25));
  // The clip keeps a huge logit finite.
  boxes[2 * 18 + 2] = 10.f;
  const auto d2 = det::decode_palms(boxes.data(), scores.data(), anchors, o);
  REQUIRE(d2.size() == 2);
  CHECK(d2[1].score == doctest::Approx(1.0 / (1.0 + std::exp(-100.0))));
}

TEST_CASE("weighted NMS merges overlapping candidates by score, keeps the top score") {
  std::vector<det::PalmDetection> c{box(0.1f, 0.1f, 0.2f, 0.2f, 0.6f),
                                    box(0.12f, 0.1f, 0.2f, 0.2f, 0.9f),
                                    box(0.6f, 0.6f, 0.2f, 0.2f, 0.7f)};
  const auto out = det::weighted_nms(c, 0.3f);
  REQUIRE(out.size() == 2);
  CHECK(out[0].score == doctest::Approx(0.9f));
  // xmin = (0.12 * 0.9 + 0.1 * 0.6) / 1.5
  CHECK(out[0].xmin == doctest::Approx((0.12 * 0.9 + 0.1 * 0.6) / 1.5));
  CHECK(out[0].width == doctest::Approx(0.2));
  CHECK(out[0].keypoints[1].x == doctest::Approx((0.13 * 0.9 + 0.11 * 0.6) / 1.5));
  CHECK(out[1].score == doctest::Approx(0.7f));
  CHECK(out[1].xmin == doctest::Approx(0.6f));
  // Why the threshold goes before the suppression: a low-score candidate that
  // survives it moves the kept box; a greedy NMS would not.
  std::vector<det::PalmDetection> low = c;
  low.push_back(box(0.2f, 0.1f, 0.2f, 0.2f, 0.2f));
  const auto moved = det::weighted_nms(low, 0.3f);
  CHECK(moved[0].xmin > out[0].xmin + 1e-3f);
  // A zero-size box overlaps nothing, not even itself: no endless loop.
  CHECK(det::weighted_nms({box(0.1f, 0.1f, 0.f, 0.f, 0.9f)}, 0.3f).size() == 1);
}

TEST_CASE("letterbox of a 640x480 image and its removal") {
  const auto p = det::letterbox_padding(640, 480);
  CHECK(p[0] == 0.f);
  CHECK(p[1] == doctest::Approx(0.125));
  CHECK(p[3] == doctest::Approx(0.125));
  const auto q = det::letterbox_padding(256, 576);
  CHECK(q[0] == doctest::Approx((1 - 256.0 / 576) / 2));
  det::PalmDetection d = box(0.5f, 0.125f, 0.25f, 0.75f, 0.9f);
  const auto r = det::remove_letterbox(d, p);
  CHECK(r.ymin == doctest::Approx(0.0));
  CHECK(r.height == doctest::Approx(1.0));
  CHECK(r.xmin == doctest::Approx(0.5));
  CHECK(r.keypoints[0].y == doctest::Approx(0.0));
}

TEST_CASE("hand regions from palms equal MediaPipe's on the real photos") {
  for (const char* name : {"oracle.json", "oracle_det0.1.json"}) {
    for (const auto& im : read_oracle(kData + "/real/" + name)) {
      CAPTURE(im.file);
      REQUIRE(im.palms.size() == im.palm_rois.size());
      REQUIRE(!im.palms.empty());
      for (size_t i = 0; i < im.palms.size(); ++i) {
        const det::NormRect r = det::palm_to_hand_rect(im.palms[i], im.width, im.height);
        const det::NormRect& o = im.palm_rois[i];
        CHECK(r.x_center == doctest::Approx(o.x_center).epsilon(1e-5));
        CHECK(r.y_center == doctest::Approx(o.y_center).epsilon(1e-5));
        CHECK(r.width == doctest::Approx(o.width).epsilon(1e-5));
        CHECK(r.height == doctest::Approx(o.height).epsilon(1e-5));
        CHECK(r.rotation == doctest::Approx(o.rotation).epsilon(1e-5));
        // Square in pixels.
        CHECK(r.width * im.width == doctest::Approx(r.height * im.height).epsilon(1e-5));
      }
    }
  }
}

TEST_CASE("hand region from landmarks: rotation from the palm, box scaled 2x, shifted up") {
  // An upright hand: wrist at the bottom, finger bases above it.
  std::array<det::Point3, det::kHandLandmarks> lm{};
  for (int i = 0; i < det::kHandLandmarks; ++i)
    lm[i] = {100.f + (i % 5) * 10.f, 200.f - (i / 5) * 10.f, 0.f};
  lm[0] = {120.f, 220.f, 0.f};
  lm[5] = {110.f, 180.f, 0.f};
  lm[9] = {120.f, 180.f, 0.f};
  lm[13] = {130.f, 180.f, 0.f};
  const det::NormRect r = det::landmarks_to_hand_rect(lm, 400, 300);
  CHECK(r.rotation == doctest::Approx(0.0).epsilon(1e-6));
  // Rotating the hand by 90 degrees about the wrist rotates the region and keeps its size.
  auto rot = lm;
  for (auto& p : rot) {
    const float dx = p.x - 120.f, dy = p.y - 220.f;
    p.x = 120.f - dy;  // 90 degrees clockwise on screen (y down)
    p.y = 220.f + dx;
  }
  const det::NormRect q = det::landmarks_to_hand_rect(rot, 400, 300);
  CHECK(std::abs(det::normalize_radians(q.rotation - kPi / 2)) < 1e-4f);
  CHECK(q.width * 400 == doctest::Approx(r.width * 400).epsilon(1e-4));
  // The box of the 12 palm landmarks (40 x 40 px here... largest side) doubled.
  float minx = 1e9f, maxx = -1e9f, miny = 1e9f, maxy = -1e9f;
  for (int i : {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18}) {
    minx = std::min(minx, lm[i].x);
    maxx = std::max(maxx, lm[i].x);
    miny = std::min(miny, lm[i].y);
    maxy = std::max(maxy, lm[i].y);
  }
  const float side = 2.f * std::max(maxx - minx, maxy - miny);
  CHECK(r.width * 400 == doctest::Approx(side).epsilon(1e-4));
  CHECK(r.height * 300 == doctest::Approx(side).epsilon(1e-4));
  // Shift up by 0.1 of the unscaled box height.
  CHECK(r.y_center * 300 ==
        doctest::Approx((miny + maxy) / 2 - 0.1f * (maxy - miny)).epsilon(1e-4));
}

TEST_CASE("landmark projection: crop units -> image pixels, rotation and depth") {
  std::array<float, 63> raw{};
  raw[0] = 112.f;  // landmark 0 at the crop centre
  raw[1] = 112.f;
  raw[2] = 22.4f;  // z = 0.1 crop widths / 0.4
  raw[3] = 224.f;  // landmark 1 at the right edge, middle
  raw[4] = 112.f;
  det::NormRect roi{0.5f, 0.25f, 0.5f, 0.25f, kPi / 2};  // 200 x 200 px in 400 x 800
  const auto p = det::project_landmarks(raw.data(), roi, 400, 800);
  CHECK(p[0].x == doctest::Approx(200.f));
  CHECK(p[0].y == doctest::Approx(200.f));
  CHECK(p[0].z == doctest::Approx(0.25 * 200));  // 0.1 / 0.4 of the crop's 200 px
  // The crop's right edge, turned by +90 degrees, is below the centre.
  CHECK(p[1].x == doctest::Approx(200.f).epsilon(1e-4));
  CHECK(p[1].y == doctest::Approx(300.f).epsilon(1e-4));
  std::array<float, 63> w{};
  w[0] = 0.01f;
  w[2] = 0.02f;
  const auto q = det::project_world_landmarks(w.data(), roi);
  CHECK(q[0].x == doctest::Approx(0.0).epsilon(1e-6));
  CHECK(q[0].y == doctest::Approx(0.01));
  CHECK(q[0].z == doctest::Approx(0.02));
}

TEST_CASE("handedness: MediaPipe's selfie label swapped to the camera's view") {
  // Oracle, image21869.jpg: raw label "Left" 0.987 = the person's right hand.
  auto a = det::handedness_from_model(0.987f);
  CHECK(a.side == det::Handedness::kRight);
  CHECK(a.score == doctest::Approx(0.987f));
  auto b = det::handedness_from_model(0.031f);
  CHECK(b.side == det::Handedness::kLeft);
  CHECK(b.score == doctest::Approx(0.969f));
  CHECK(std::string(det::handedness_name(b.side)) == "left");
}

TEST_CASE("association: tracked regions replace the palm regions they overlap") {
  det::NormRect palm_a{0.3f, 0.5f, 0.2f, 0.2f, 0.f}, palm_b{0.8f, 0.5f, 0.2f, 0.2f, 0.f};
  det::NormRect tracked{0.31f, 0.5f, 0.2f, 0.2f, 0.3f};
  const auto r = det::associate_rects({palm_a, palm_b}, {tracked});
  REQUIRE(r.size() == 2);
  CHECK(r[0].x_center == doctest::Approx(0.8f));
  CHECK(r[1].rotation == doctest::Approx(0.3f));
  CHECK(det::rect_iou(palm_a, palm_b) == 0.f);
}

TEST_CASE("rotated crop: pixel-centre mapping, rotation and borders") {
  cv::Mat img(4, 6, CV_32FC3);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 6; ++x) img.at<cv::Vec3f>(y, x) = {float(x), float(y), 1.f};
  cv::Mat out;
  // The whole image as a non-square region, no aspect kept: a plain resize.
  det::crop_to_square(img, {0.5f, 0.5f, 1.f, 1.f, 0.f}, 6, det::CropBorder::kZero, false, out);
  CHECK(out.at<cv::Vec3f>(0, 0)[0] == doctest::Approx(0.f));
  CHECK(out.at<cv::Vec3f>(2, 2)[0] == doctest::Approx(2.f));  // x = 2.5 / 6 * 6 - 0.5
  // OpenCV quantises sampling positions to 1/32 pixel.
  CHECK(out.at<cv::Vec3f>(2, 2)[1] == doctest::Approx(2.5 / 6 * 4 - 0.5).epsilon(1.0 / 32));
  // The 4x4 square on the right half, letterboxed: no padding (it is square).
  auto pad = det::crop_to_square(img, {4.f / 6, 0.5f, 4.f / 6, 1.f, 0.f}, 4, det::CropBorder::kZero,
                                 true, out);
  CHECK(pad[0] == 0.f);
  CHECK(out.at<cv::Vec3f>(1, 2)[0] == doctest::Approx(4.f));
  CHECK(out.at<cv::Vec3f>(1, 2)[1] == doctest::Approx(1.f));
  // The whole image, letterboxed into a square: rows added top and bottom.
  pad = det::crop_to_square(img, {0.5f, 0.5f, 1.f, 1.f, 0.f}, 6, det::CropBorder::kZero, true, out);
  CHECK(pad[1] == doctest::Approx(1.f / 6));
  CHECK(out.at<cv::Vec3f>(0, 3)[2] == 0.f);  // zero border
  CHECK(out.at<cv::Vec3f>(1, 3)[2] == doctest::Approx(1.f));
  CHECK(out.at<cv::Vec3f>(1, 3)[1] == doctest::Approx(0.f));
  det::crop_to_square(img, {0.5f, 0.5f, 1.f, 1.f, 0.f}, 6, det::CropBorder::kReplicate, true, out);
  CHECK(out.at<cv::Vec3f>(0, 3)[2] == doctest::Approx(1.f));
  // A quarter turn: the crop's x axis runs down the image.
  det::crop_to_square(img, {3.f / 6, 2.f / 4, 4.f / 6, 4.f / 4, kPi / 2}, 4, det::CropBorder::kZero,
                      false, out);
  CHECK(out.at<cv::Vec3f>(0, 0)[1] ==
        doctest::Approx(0.f).epsilon(1e-4));  // left column -> top row
  CHECK(out.at<cv::Vec3f>(0, 3)[1] == doctest::Approx(3.f).epsilon(1e-4));
  CHECK(out.at<cv::Vec3f>(0, 0)[0] ==
        doctest::Approx(4.f).epsilon(1e-4));  // top row -> right column
  CHECK(out.at<cv::Vec3f>(3, 0)[0] == doctest::Approx(1.f).epsilon(1e-4));
}

namespace {
det::HandLandmarks hand_from(const intershape::tests::OracleHand& h) {
  det::HandLandmarks out;
  for (int i = 0; i < det::kHandLandmarks; ++i) out.landmarks[i] = h.landmarks_px[i];
  return out;
}
bool contains(const intershape::core::CropRect& c, float x0, float y0, float x1, float y1) {
  return c.x0 <= x0 && c.y0 <= y0 && c.x0 + c.side >= x1 && c.y0 + c.side >= y1;
}
}  // namespace

TEST_CASE("localiser: the crop holds the pasted pair in webcam_pair_offcentre.png") {
  const auto images = read_oracle(kData + "/real/oracle.json");
  const auto& im = images[3];
  REQUIRE(im.file == "webcam_pair_offcentre.png");
  REQUIRE(im.hands.size() == 1);  // MediaPipe finds one hand of the pair
  const auto crop = det::crop_around_hands({hand_from(im.hands[0])});
  REQUIRE(crop);
  // The pair was pasted at x 360..600, y 200..440.
  CHECK(contains(*crop, 360.f, 200.f, 600.f, 440.f));
  CHECK(crop->side <= 2.5f * 240.f);
  CHECK(crop->side >= 240.f);
  CHECK_FALSE(det::crop_around_hands({}));
}

TEST_CASE("localiser: one found hand's square holds the whole interacting pair in the photos") {
  // Both hands' extents (x0, y0, x1, y1 in pixels), read off the photos by eye
  // (wrists to fingertips of both hands; arms leaving the picture end at its edge).
  struct Pair {
    const char* file;
    float x0, y0, x1, y1;
  };
  const Pair pairs[] = {{"image21869.jpg", 5, 57, 220, 205},
                        {"image26408.jpg", 48, 40, 256, 218},
                        {"teaser_input_top.png", 38, 38, 215, 222},
                        {"webcam_pair_offcentre.png", 360, 200, 600, 440}};
  const auto images = read_oracle(kData + "/real/oracle.json");
  for (const Pair& p : pairs) {
    CAPTURE(p.file);
    const auto it =
        std::find_if(images.begin(), images.end(), [&](const auto& i) { return i.file == p.file; });
    REQUIRE(it != images.end());
    REQUIRE(it->hands.size() == 1);
    const auto crop = det::crop_around_hands({hand_from(it->hands[0])});
    REQUIRE(crop);
    CHECK(contains(*crop, p.x0, p.y0, p.x1, p.y1));
    // ... and not absurdly large: at most 2.5x the pair's side.
    CHECK(crop->side <= 2.5f * std::max(p.x1 - p.x0, p.y1 - p.y0));
  }
  // Two hands: the square around both with the margin only.
  const auto& sbs = images[4];
  REQUIRE(sbs.hands.size() == 2);
  const auto both = det::crop_around_hands({hand_from(sbs.hands[0]), hand_from(sbs.hands[1])});
  REQUIRE(both);
  float x0 = 1e9f, x1 = -1e9f;
  for (const auto& h : sbs.hands)
    for (const auto& q : h.landmarks_px) {
      x0 = std::min(x0, q.x);
      x1 = std::max(x1, q.x);
    }
  CHECK(both->side == doctest::Approx(1.6f * (x1 - x0)));
}

TEST_CASE("tracking: palm detection is skipped while enough hands are present") {
  auto palm = std::make_unique<FakePalm>();
  auto lm = std::make_unique<FakeLandmarker>();
  FakePalm* p = palm.get();
  FakeLandmarker* l = lm.get();
  p->palms = {palm_at(0.3f, 0.5f, 0.9f), palm_at(0.7f, 0.5f, 0.8f), palm_at(0.5f, 0.2f, 0.7f)};
  det::HandTracker tracker(std::move(palm), std::move(lm));
  const cv::Mat rgb(200, 300, CV_32FC3, cv::Scalar::all(0.5));

  auto r1 = tracker.process_rgb(rgb);
  CHECK(r1.palm_detection_ran);
  CHECK(r1.palms.size() == 2);  // clipped to max_hands
  REQUIRE(r1.hands.size() == 2);
  CHECK(r1.hands[0].from_palm);
  CHECK(r1.hands[0].palm_index == 0);
  CHECK(tracker.tracked_hands() == 2);
  CHECK(p->calls == 1);

  auto r2 = tracker.process_rgb(rgb);  // two hands tracked: no detection
  CHECK_FALSE(r2.palm_detection_ran);
  CHECK(r2.hands.size() == 2);
  CHECK_FALSE(r2.hands[0].from_palm);
  CHECK(p->calls == 1);

  l->presence = {0.9f, 0.2f};  // one hand lost
  auto r3 = tracker.process_rgb(rgb);
  CHECK(r3.hands.size() == 1);
  CHECK(tracker.tracked_hands() == 1);
  auto r4 = tracker.process_rgb(rgb);  // fewer than max: detect again
  CHECK(r4.palm_detection_ran);
  CHECK(p->calls == 2);
  // The tracked hand and the palm it duplicates are one region, not two.
  CHECK(r4.hands.size() == 2);

  tracker.reset();
  CHECK(tracker.tracked_hands() == 0);
  tracker.process_rgb(rgb);
  CHECK(p->calls == 3);

  det::HandTrackerOptions still;
  still.track = false;
  tracker.set_options(still);
  tracker.process_rgb(rgb);
  tracker.process_rgb(rgb);
  CHECK(p->calls == 5);  // photos: every image detects
  CHECK(tracker.tracked_hands() == 0);

  det::HandTrackerOptions strict;
  strict.min_detection_confidence = 0.85f;
  tracker.set_options(strict);
  tracker.reset();
  auto r5 = tracker.process_rgb(rgb);
  CHECK(r5.palms.size() == 1);
  CHECK_THROWS_AS(tracker.process_rgb(cv::Mat()), std::invalid_argument);
  CHECK_THROWS_AS(tracker.process(cv::Mat(10, 10, CV_8UC1)), std::invalid_argument);
}

TEST_CASE("tracking: a non-finite landmark output is no hand") {
  struct NanLandmarker : FakeLandmarker {
    det::HandLandmarks run(const cv::Mat& rgb, const det::NormRect& roi) override {
      det::HandLandmarks h = FakeLandmarker::run(rgb, roi);
      h.landmarks[7].x = std::nanf("");
      return h;
    }
  };
  auto palm = std::make_unique<FakePalm>();
  palm->palms = {palm_at(0.3f, 0.5f, 0.9f)};
  det::HandTracker tracker(std::move(palm), std::make_unique<NanLandmarker>());
  const cv::Mat rgb(100, 100, CV_32FC3, cv::Scalar::all(0.5));
  CHECK(tracker.process_rgb(rgb).hands.empty());
  CHECK(tracker.tracked_hands() == 0);
}
