#pragma once
// SSD anchors as MediaPipe's SsdAnchorsCalculator generates them, for the
// options its palm-detection graphs use. Pure arithmetic, no model needed.

#include <vector>

namespace intershape::core::detect {

struct Anchor {
  float x_center = 0.f, y_center = 0.f;  // normalised to the model input
  float width = 1.f, height = 1.f;       // 1 with fixed_anchor_size
};

struct SsdAnchorOptions {
  int input_width = 192, input_height = 192;
  int num_layers = 4;
  float min_scale = 0.1484375f, max_scale = 0.75f;
  float anchor_offset_x = 0.5f, anchor_offset_y = 0.5f;
  std::vector<int> strides{8, 16, 16, 16};
  std::vector<float> aspect_ratios{1.0f};
  float interpolated_scale_aspect_ratio = 1.0f;  // > 0 adds one anchor per cell
  bool fixed_anchor_size = true;

  // palm_detection_full / palm_detection_lite at 192x192: 2016 anchors.
  static SsdAnchorOptions palm_192() { return {}; }
};

// Anchors in the order of the model's output rows: layer groups of equal
// stride, then rows (y), columns (x), anchors within a cell.
// Throws std::invalid_argument on inconsistent options.
std::vector<Anchor> generate_ssd_anchors(const SsdAnchorOptions& options);

}  // namespace intershape::core::detect
