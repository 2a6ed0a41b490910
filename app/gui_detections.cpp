#include "app/gui_detections.h"

#include "core/detect/hand_geometry.h"

namespace intershape::app {

namespace det = core::detect;

namespace {
glm::vec3 side_color(const det::HandLandmarks& h, const glm::vec3& right, const glm::vec3& left) {
  return h.handedness == det::Handedness::kRight ? right : left;
}
}  // namespace

void detection_overlay(const det::HandDetections& d, const DetectionOverlayOptions& o,
                       const glm::vec3& right_color, const glm::vec3& left_color,
                       std::vector<render::LineVertex>& lines,
                       std::vector<render::LineVertex>& points) {
  const float iw = static_cast<float>(d.image_width), ih = static_cast<float>(d.image_height);
  auto segment = [&](float x0, float y0, float x1, float y1, const glm::vec4& c) {
    lines.push_back({{x0, y0, 0.f}, c});
    lines.push_back({{x1, y1, 0.f}, c});
  };
  if (o.palms) {
    const glm::vec4 c(1.f, 0.85f, 0.2f, 0.9f);
    for (const auto& p : d.palms) {
      const float x0 = p.xmin * iw, y0 = p.ymin * ih;
      const float x1 = (p.xmin + p.width) * iw, y1 = (p.ymin + p.height) * ih;
      segment(x0, y0, x1, y0, c);
      segment(x1, y0, x1, y1, c);
      segment(x1, y1, x0, y1, c);
      segment(x0, y1, x0, y0, c);
      for (const auto& k : p.keypoints) points.push_back({{k.x * iw, k.y * ih, 0.f}, c});
    }
  }
  for (const auto& h : d.hands) {
    if (o.regions) {
      const glm::vec4 c(0.3f, 0.9f, 1.f, 0.7f);
      const auto q = det::rect_corners_px(h.roi, d.image_width, d.image_height);
      for (int i = 0; i < 4; ++i) segment(q[i].x, q[i].y, q[(i + 1) % 4].x, q[(i + 1) % 4].y, c);
    }
    if (o.skeletons) {
      const glm::vec3 col = side_color(h, right_color, left_color);
      const glm::vec4 line(col * 0.9f, 0.95f), dot(0.3f + 0.7f * col, 1.f);
      for (const auto& e : det::kHandConnections)
        segment(h.landmarks[e[0]].x, h.landmarks[e[0]].y, h.landmarks[e[1]].x, h.landmarks[e[1]].y,
                line);
      for (const auto& p : h.landmarks) points.push_back({{p.x, p.y, 0.f}, dot});
    }
  }
}

std::vector<render::LineVertex> world_skeleton_lines(const det::HandDetections& d,
                                                     const glm::vec3& right_color,
                                                     const glm::vec3& left_color) {
  std::vector<render::LineVertex> out;
  for (const auto& h : d.hands) {
    const glm::vec3 col = side_color(h, right_color, left_color);
    // Placed left to right as in the picture (world landmarks have no
    // position of their own: each hand's origin is its own centre).
    float cx = 0.f;
    for (const auto& p : h.landmarks) cx += p.x;
    cx /= det::kHandLandmarks;
    const float dx = d.image_width > 0 ? 0.3f * (cx / d.image_width - 0.5f) : 0.f;
    const glm::vec3 wrist(h.world_landmarks[0].x, h.world_landmarks[0].y, h.world_landmarks[0].z);
    for (const auto& e : det::kHandConnections)
      for (int k : e) {
        const auto& p = h.world_landmarks[k];
        out.push_back(
            {glm::vec3(p.x, p.y, p.z) - wrist + glm::vec3(dx, 0.f, 0.f), glm::vec4(col, 1.f)});
      }
  }
  return out;
}

}  // namespace intershape::app
