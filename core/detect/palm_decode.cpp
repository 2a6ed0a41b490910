#include "core/detect/palm_decode.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace intershape::core::detect {

std::vector<PalmDetection> decode_palms(const float* boxes, const float* scores,
                                        const std::vector<Anchor>& anchors,
                                        const PalmDecodeOptions& o) {
  std::vector<PalmDetection> out;
  const int nk = (o.num_coords - 4) / 2;
  const int kp = std::min(nk, kPalmKeypoints);
  for (size_t i = 0; i < anchors.size(); ++i) {
    float logit = scores[i];
    logit = std::clamp(logit, -o.score_clip, o.score_clip);
    const float score = 1.f / (1.f + std::exp(-logit));
    if (!(score >= o.min_score)) continue;
    const float* r = boxes + i * static_cast<size_t>(o.num_coords);
    const Anchor& a = anchors[i];
    const float xc = r[0] / o.scale * a.width + a.x_center;
    const float yc = r[1] / o.scale * a.height + a.y_center;
    const float w = r[2] / o.scale * a.width;
    const float h = r[3] / o.scale * a.height;
    if (!(w >= 0.f) || !(h >= 0.f)) continue;  // also drops NaN
    PalmDetection d;
    d.score = score;
    d.xmin = xc - w * 0.5f;
    d.ymin = yc - h * 0.5f;
    d.width = w;
    d.height = h;
    for (int k = 0; k < kp; ++k) {
      d.keypoints[k].x = r[4 + 2 * k] / o.scale * a.width + a.x_center;
      d.keypoints[k].y = r[4 + 2 * k + 1] / o.scale * a.height + a.y_center;
    }
    out.push_back(d);
  }
  return out;
}

float box_iou(const PalmDetection& a, const PalmDetection& b) {
  const float x0 = std::max(a.xmin, b.xmin), y0 = std::max(a.ymin, b.ymin);
  const float x1 = std::min(a.xmin + a.width, b.xmin + b.width);
  const float y1 = std::min(a.ymin + a.height, b.ymin + b.height);
  if (x1 < x0 || y1 < y0) return 0.f;
  const float inter = (x1 - x0) * (y1 - y0);
  const float uni = a.width * a.height + b.width * b.height - inter;
  return uni > 0.f ? inter / uni : 0.f;
}

std::vector<PalmDetection> weighted_nms(std::vector<PalmDetection> remaining,
                                        float min_suppression_iou) {
  std::stable_sort(
      remaining.begin(), remaining.end(),
      [](const PalmDetection& a, const PalmDetection& b) { return a.score > b.score; });
  std::vector<PalmDetection> out;
  while (!remaining.empty()) {
    const PalmDetection top = remaining.front();
    std::vector<PalmDetection> rest;
    float total = 0.f, x0 = 0.f, y0 = 0.f, x1 = 0.f, y1 = 0.f;
    std::array<Point2, kPalmKeypoints> kps{};
    for (const PalmDetection& c : remaining) {
      if (box_iou(c, top) > min_suppression_iou) {
        total += c.score;
        x0 += c.xmin * c.score;
        y0 += c.ymin * c.score;
        x1 += (c.xmin + c.width) * c.score;
        y1 += (c.ymin + c.height) * c.score;
        for (int k = 0; k < kPalmKeypoints; ++k) {
          kps[k].x += c.keypoints[k].x * c.score;
          kps[k].y += c.keypoints[k].y * c.score;
        }
      } else {
        rest.push_back(c);
      }
    }
    PalmDetection merged = top;
    if (total > 0.f) {
      merged.xmin = x0 / total;
      merged.ymin = y0 / total;
      merged.width = x1 / total - merged.xmin;
      merged.height = y1 / total - merged.ymin;
      for (int k = 0; k < kPalmKeypoints; ++k)
        merged.keypoints[k] = {kps[k].x / total, kps[k].y / total};
    }
    out.push_back(merged);
    // A top box that overlaps nothing, not even itself (a zero-size box),
    // would loop forever: MediaPipe stops when nothing was removed.
    if (rest.size() == remaining.size()) break;
    remaining = std::move(rest);
  }
  return out;
}

std::array<float, 4> letterbox_padding(int image_width, int image_height) {
  const float roi_aspect = static_cast<float>(image_height) / static_cast<float>(image_width);
  const float tensor_aspect = 1.f;
  if (tensor_aspect > roi_aspect) {
    const float v = (1.f - roi_aspect / tensor_aspect) * 0.5f;
    return {0.f, v, 0.f, v};
  }
  const float h = (1.f - tensor_aspect / roi_aspect) * 0.5f;
  return {h, 0.f, h, 0.f};
}

PalmDetection remove_letterbox(const PalmDetection& d, const std::array<float, 4>& p) {
  const float left = p[0], top = p[1];
  const float sx = 1.f - p[0] - p[2], sy = 1.f - p[1] - p[3];
  PalmDetection r = d;
  r.xmin = (d.xmin - left) / sx;
  r.ymin = (d.ymin - top) / sy;
  r.width = d.width / sx;
  r.height = d.height / sy;
  for (int k = 0; k < kPalmKeypoints; ++k)
    r.keypoints[k] = {(d.keypoints[k].x - left) / sx, (d.keypoints[k].y - top) / sy};
  return r;
}

std::vector<PalmDetection> postprocess_palms(const float* boxes, const float* scores,
                                             const std::vector<Anchor>& anchors,
                                             const PalmDecodeOptions& options, int image_width,
                                             int image_height) {
  std::vector<PalmDetection> kept =
      weighted_nms(decode_palms(boxes, scores, anchors, options), options.min_suppression_iou);
  const auto pad = letterbox_padding(image_width, image_height);
  for (PalmDetection& d : kept) d = remove_letterbox(d, pad);
  return kept;
}

}  // namespace intershape::core::detect
