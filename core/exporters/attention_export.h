#pragma once
// `--export attention`: per frame NAME_attention.npz with
//   attention (2,64,64) f4         right, left: max over joints and depth
//   keypoints (42,3) f4            heatmap-cell x, y and peak value (the network's argmax)
//   stage_map_right_1..3, stage_map_left_1..3 (8,8) (16,16) (32,32) f4
//                                  (only when the output carries AttentionDetail)
// and NAME_attention_right.png / NAME_attention_left.png: that hand's attention
// map, min-max normalised, upsampled to the 256x256 network input, JET
// colormap blended 50/50 over the input. Written atomically; throws formats::ExportError.

#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/types.h"

namespace intershape::core::exporters {

// BGR 256x256 rendering of one hand's [64*64] map over the RGB network input.
cv::Mat attention_overlay(const cv::Mat& input_rgb, const float* map64);

std::vector<std::string> write_attention(const std::string& dir, const std::string& name,
                                         const NetworkOutput& out, const cv::Mat& input_rgb);

}  // namespace intershape::core::exporters
