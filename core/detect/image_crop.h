#pragma once
// MediaPipe's ImageToTensorCalculator on the CPU: the rotated region of an
// image resampled (bilinear) into a square tensor, keeping the aspect ratio
// (letterbox) if asked. OpenCV only; no LibTorch.

#include <array>

#include <opencv2/core/mat.hpp>

#include "core/detect/detections.h"

namespace intershape::core::detect {

enum class CropBorder { kZero, kReplicate };

// `rgb` is CV_32FC3 (values 0..1). Writes `out` as CV_32FC3 size x size, the
// region `roi` (normalised to rgb's size) mapped corner to corner, sampled at
// pixel centres. With keep_aspect the region is first grown to the square's
// aspect and the padding {left, top, right, bottom} (fractions of the output)
// is returned; otherwise all zeros.
std::array<float, 4> crop_to_square(const cv::Mat& rgb, const NormRect& roi, int size,
                                    CropBorder border, bool keep_aspect, cv::Mat& out);

// BGR 8-bit (as OpenCV decodes and captures) -> RGB float 0..1, the input the
// models expect.
cv::Mat bgr_to_rgb_float(const cv::Mat& bgr);

}  // namespace intershape::core::detect
