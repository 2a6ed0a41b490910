#include "core/detect/hand_geometry.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace intershape::core::detect {
namespace {

constexpr float kPi = 3.14159265358979323846f;

// Rotation that turns the vector (x0, y0) -> (x1, y1), pixels, to point up.
float rotation_to_up(float x0, float y0, float x1, float y1) {
  return normalize_radians(kPi * 0.5f - std::atan2(-(y1 - y0), x1 - x0));
}

}  // namespace

float normalize_radians(float angle) {
  return angle - 2.f * kPi * std::floor((angle - (-kPi)) / (2.f * kPi));
}

NormRect transform_rect(const NormRect& rect, int image_width, int image_height,
                        const RectTransform& t) {
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  NormRect r = rect;
  float width = rect.width, height = rect.height;
  const float rot = rect.rotation;
  if (rot == 0.f) {
    r.x_center += width * t.shift_x;
    r.y_center += height * t.shift_y;
  } else {
    const float xs =
        (iw * width * t.shift_x * std::cos(rot) - ih * height * t.shift_y * std::sin(rot)) / iw;
    const float ys =
        (iw * width * t.shift_x * std::sin(rot) + ih * height * t.shift_y * std::cos(rot)) / ih;
    r.x_center += xs;
    r.y_center += ys;
  }
  if (t.square_long) {
    const float long_side = std::max(width * iw, height * ih);
    width = long_side / iw;
    height = long_side / ih;
  }
  r.width = width * t.scale_x;
  r.height = height * t.scale_y;
  return r;
}

NormRect palm_to_hand_rect(const PalmDetection& palm, int image_width, int image_height) {
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  NormRect r;
  r.x_center = palm.xmin + palm.width * 0.5f;
  r.y_center = palm.ymin + palm.height * 0.5f;
  r.width = palm.width;
  r.height = palm.height;
  // Keypoint 0 is the wrist, 2 the middle finger's MCP.
  r.rotation = rotation_to_up(palm.keypoints[0].x * iw, palm.keypoints[0].y * ih,
                              palm.keypoints[2].x * iw, palm.keypoints[2].y * ih);
  RectTransform t;
  t.scale_x = t.scale_y = 2.6f;
  t.shift_y = -0.5f;
  t.square_long = true;
  return transform_rect(r, image_width, image_height, t);
}

NormRect landmarks_to_hand_rect(const std::array<Point3, kHandLandmarks>& lm, int image_width,
                                int image_height) {
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  // Wrist, thumb CMC/MCP/IP, and the MCP and PIP of the four fingers: the
  // parts of the hand that move least from one frame to the next.
  static constexpr int kSubset[] = {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18};
  // Normalised coordinates, as MediaPipe computes (the rotation needs pixels).
  std::array<Point2, std::size(kSubset)> p{};
  for (size_t i = 0; i < p.size(); ++i) p[i] = {lm[kSubset[i]].x / iw, lm[kSubset[i]].y / ih};

  // Rotation: wrist -> mean of (mean of index and ring MCP) and middle MCP.
  const float x0 = p[0].x * iw, y0 = p[0].y * ih;
  float x1 = (p[4].x + p[8].x) * 0.5f, y1 = (p[4].y + p[8].y) * 0.5f;
  x1 = (x1 + p[6].x) * 0.5f * iw;
  y1 = (y1 + p[6].y) * 0.5f * ih;
  const float rotation = rotation_to_up(x0, y0, x1, y1);
  const float reverse = normalize_radians(-rotation);

  float min_x = std::numeric_limits<float>::max(), max_x = std::numeric_limits<float>::lowest();
  float min_y = min_x, max_y = max_x;
  for (const Point2& q : p) {
    min_x = std::min(min_x, q.x);
    max_x = std::max(max_x, q.x);
    min_y = std::min(min_y, q.y);
    max_y = std::max(max_y, q.y);
  }
  const float acx = (max_x + min_x) * 0.5f, acy = (max_y + min_y) * 0.5f;
  min_x = min_y = std::numeric_limits<float>::max();
  max_x = max_y = std::numeric_limits<float>::lowest();
  const float c = std::cos(reverse), s = std::sin(reverse);
  for (const Point2& q : p) {
    const float ox = (q.x - acx) * iw, oy = (q.y - acy) * ih;
    const float px = ox * c - oy * s, py = ox * s + oy * c;
    min_x = std::min(min_x, px);
    max_x = std::max(max_x, px);
    min_y = std::min(min_y, py);
    max_y = std::max(max_y, py);
  }
  const float pcx = (max_x + min_x) * 0.5f, pcy = (max_y + min_y) * 0.5f;
  const float cr = std::cos(rotation), sr = std::sin(rotation);
  NormRect r;
  r.x_center = (pcx * cr - pcy * sr + iw * acx) / iw;
  r.y_center = (pcx * sr + pcy * cr + ih * acy) / ih;
  r.width = (max_x - min_x) / iw;
  r.height = (max_y - min_y) / ih;
  r.rotation = rotation;
  RectTransform t;
  t.scale_x = t.scale_y = 2.0f;
  t.shift_y = -0.1f;
  t.square_long = true;
  return transform_rect(r, image_width, image_height, t);
}

std::array<Point3, kHandLandmarks> project_landmarks(const float* raw, const NormRect& roi,
                                                     int image_width, int image_height) {
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  constexpr float kSide = static_cast<float>(kLandmarkInput);
  constexpr float kNormalizeZ = 0.4f;  // MediaPipe's hand_landmark graph option
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  std::array<Point3, kHandLandmarks> out{};
  for (int i = 0; i < kHandLandmarks; ++i) {
    // The crop is square and fills the tensor, so no letterbox to remove.
    const float x = raw[3 * i] / kSide - 0.5f;
    const float y = raw[3 * i + 1] / kSide - 0.5f;
    const float z = raw[3 * i + 2] / kSide / kNormalizeZ;
    const float nx = (c * x - s * y) * roi.width + roi.x_center;
    const float ny = (s * x + c * y) * roi.height + roi.y_center;
    out[i] = {nx * iw, ny * ih, z * roi.width * iw};
  }
  return out;
}

std::array<Point3, kHandLandmarks> project_world_landmarks(const float* raw, const NormRect& roi) {
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  std::array<Point3, kHandLandmarks> out{};
  for (int i = 0; i < kHandLandmarks; ++i) {
    const float x = raw[3 * i], y = raw[3 * i + 1], z = raw[3 * i + 2];
    out[i] = {c * x - s * y, s * x + c * y, z};
  }
  return out;
}

HandednessResult handedness_from_model(float raw_left) {
  // MediaPipe's binary classification: "Left" scores raw, "Right" 1 - raw; the
  // higher wins. Its "Left" on a selfie picture is the person's right hand.
  HandednessResult r;
  if (raw_left >= 1.f - raw_left) {
    r.side = Handedness::kRight;
    r.score = raw_left;
  } else {
    r.side = Handedness::kLeft;
    r.score = 1.f - raw_left;
  }
  return r;
}

std::array<Point2, 4> rect_corners_px(const NormRect& r, int image_width, int image_height) {
  const float iw = static_cast<float>(image_width), ih = static_cast<float>(image_height);
  const float cx = r.x_center * iw, cy = r.y_center * ih, w = r.width * iw, h = r.height * ih;
  const float c = std::cos(r.rotation), s = std::sin(r.rotation);
  const float uv[4][2] = {{-0.5f, -0.5f}, {0.5f, -0.5f}, {0.5f, 0.5f}, {-0.5f, 0.5f}};
  std::array<Point2, 4> out{};
  for (int i = 0; i < 4; ++i) {
    const float u = uv[i][0] * w, v = uv[i][1] * h;
    out[i] = {cx + c * u - s * v, cy + s * u + c * v};
  }
  return out;
}

float rect_iou(const NormRect& a, const NormRect& b) {
  const float ax0 = a.x_center - a.width * 0.5f, ay0 = a.y_center - a.height * 0.5f;
  const float bx0 = b.x_center - b.width * 0.5f, by0 = b.y_center - b.height * 0.5f;
  const float x0 = std::max(ax0, bx0), y0 = std::max(ay0, by0);
  const float x1 = std::min(ax0 + a.width, bx0 + b.width);
  const float y1 = std::min(ay0 + a.height, by0 + b.height);
  if (x1 < x0 || y1 < y0) return 0.f;
  const float inter = (x1 - x0) * (y1 - y0);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<NormRect> associate_rects(const std::vector<NormRect>& from_palms,
                                      const std::vector<NormRect>& tracked, float min_similarity) {
  std::vector<NormRect> out;
  auto add = [&](const NormRect& r) {
    out.erase(std::remove_if(out.begin(), out.end(),
                             [&](const NormRect& e) { return rect_iou(e, r) > min_similarity; }),
              out.end());
    out.push_back(r);
  };
  for (const NormRect& r : from_palms) add(r);
  for (const NormRect& r : tracked) add(r);
  return out;
}

}  // namespace intershape::core::detect
