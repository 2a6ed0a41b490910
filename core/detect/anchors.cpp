#include "core/detect/anchors.h"

#include <cmath>
#include <stdexcept>

namespace intershape::core::detect {
namespace {

float layer_scale(float min_scale, float max_scale, int index, int count) {
  if (count == 1) return (min_scale + max_scale) * 0.5f;
  return min_scale + (max_scale - min_scale) * static_cast<float>(index) / (count - 1.0f);
}

}  // namespace

std::vector<Anchor> generate_ssd_anchors(const SsdAnchorOptions& o) {
  if (o.num_layers <= 0 || static_cast<int>(o.strides.size()) != o.num_layers)
    throw std::invalid_argument("SSD anchors: need one stride per layer");
  if (o.input_width <= 0 || o.input_height <= 0)
    throw std::invalid_argument("SSD anchors: input size must be positive");
  for (int s : o.strides)
    if (s <= 0) throw std::invalid_argument("SSD anchors: strides must be positive");

  std::vector<Anchor> anchors;
  int layer = 0;
  while (layer < o.num_layers) {
    std::vector<float> widths, heights;
    // Consecutive layers with the same stride share one feature map: their
    // anchors are interleaved per cell, as MediaPipe merges them.
    int last = layer;
    while (last < o.num_layers && o.strides[last] == o.strides[layer]) {
      const float scale = layer_scale(o.min_scale, o.max_scale, last, o.num_layers);
      std::vector<float> ratios, scales;
      for (float r : o.aspect_ratios) {
        ratios.push_back(r);
        scales.push_back(scale);
      }
      if (o.interpolated_scale_aspect_ratio > 0.f) {
        const float next = last == o.num_layers - 1
                               ? 1.0f
                               : layer_scale(o.min_scale, o.max_scale, last + 1, o.num_layers);
        scales.push_back(std::sqrt(scale * next));
        ratios.push_back(o.interpolated_scale_aspect_ratio);
      }
      for (size_t i = 0; i < ratios.size(); ++i) {
        const float root = std::sqrt(ratios[i]);
        heights.push_back(scales[i] / root);
        widths.push_back(scales[i] * root);
      }
      ++last;
    }
    const int stride = o.strides[layer];
    const int rows = static_cast<int>(std::ceil(static_cast<float>(o.input_height) / stride));
    const int cols = static_cast<int>(std::ceil(static_cast<float>(o.input_width) / stride));
    for (int y = 0; y < rows; ++y)
      for (int x = 0; x < cols; ++x)
        for (size_t a = 0; a < widths.size(); ++a) {
          Anchor anchor;
          anchor.x_center = (x + o.anchor_offset_x) / cols;
          anchor.y_center = (y + o.anchor_offset_y) / rows;
          if (!o.fixed_anchor_size) {
            anchor.width = widths[a];
            anchor.height = heights[a];
          }
          anchors.push_back(anchor);
        }
    layer = last;
  }
  return anchors;
}

}  // namespace intershape::core::detect
