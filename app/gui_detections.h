#pragma once
// What the GUI draws of MediaPipe's hands: over the video (palm boxes, the
// rotated regions the landmark model ran on, 2D skeletons) and in the 3D view
// (world landmarks). Geometry only: the caller draws the vertices with
// render::LinePass. Main thread.

#include <vector>

#include <glm/glm.hpp>

#include "core/detect/detections.h"
#include "render/passes.h"

namespace intershape::app {

struct DetectionOverlayOptions {
  bool palms = true;      // palm boxes (yellow)
  bool regions = true;    // landmark regions (rotated squares, cyan)
  bool skeletons = true;  // 21 landmarks and MediaPipe's connections
};

// Frame-pixel vertices (z = 0): `lines` for GL_LINES, `points` for GL_POINTS.
// Skeleton colours follow the hand (right/left colours of the app).
void detection_overlay(const core::detect::HandDetections& d, const DetectionOverlayOptions& o,
                       const glm::vec3& right_color, const glm::vec3& left_color,
                       std::vector<render::LineVertex>& lines,
                       std::vector<render::LineVertex>& points);

// World landmarks as GL_LINES in metres (x right, y down, z away, as the
// model gives them), each hand's wrist placed along x as the hand is in the
// picture (0.3 m across the frame's width) so two hands do not overlap.
std::vector<render::LineVertex> world_skeleton_lines(const core::detect::HandDetections& d,
                                                     const glm::vec3& right_color,
                                                     const glm::vec3& left_color);

}  // namespace intershape::app
