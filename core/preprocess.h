#pragma once
// Frame -> network input, and network coordinates -> frame coordinates.

#include <array>

#include <opencv2/core/mat.hpp>

#include "core/types.h"

namespace intershape::core {

// The 256x256 RGB uint8 input for `crop` of a BGR frame, exactly as the
// reference demo makes it for a whole frame: an affine warp scaling by
// 256/side (bilinear, black outside the frame), then BGR -> RGB.
cv::Mat make_network_input(const cv::Mat& frame_bgr, const CropRect& crop);

// Heatmap cell (x, y in 0..63) -> frame pixels: input pixel = 4 * cell, then
// undo the crop.
std::array<std::array<float, 3>, kJoints> keypoints_in_frame(
    const std::array<std::array<float, 3>, kJoints>& xyc, const CropRect& crop);

}  // namespace intershape::core
