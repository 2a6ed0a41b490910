#include "core/detect/image_crop.h"

#include <cmath>
#include <stdexcept>

#include <opencv2/imgproc.hpp>

namespace intershape::core::detect {

std::array<float, 4> crop_to_square(const cv::Mat& rgb, const NormRect& roi, int size,
                                    CropBorder border, bool keep_aspect, cv::Mat& out) {
  if (rgb.type() != CV_32FC3 || rgb.empty())
    throw std::invalid_argument("crop_to_square: expected a non-empty CV_32FC3 image");
  const float iw = static_cast<float>(rgb.cols), ih = static_cast<float>(rgb.rows);
  const float cx = roi.x_center * iw, cy = roi.y_center * ih;
  float w = roi.width * iw, h = roi.height * ih;
  std::array<float, 4> pad{0.f, 0.f, 0.f, 0.f};
  if (keep_aspect && w > 0.f && h > 0.f) {
    const float roi_aspect = h / w;  // the tensor's aspect is 1
    if (1.f > roi_aspect) {
      pad[1] = pad[3] = (1.f - roi_aspect) * 0.5f;
      h = w;
    } else {
      pad[0] = pad[2] = (1.f - 1.f / roi_aspect) * 0.5f;
      w = h;
    }
  }
  // Output pixel centre (i + 0.5) / size maps to the region's own coordinate
  // u in [-0.5, 0.5]; source pixel index = position - 0.5 (pixel centres), as
  // a GPU texture sampler sees it (MediaPipe's oracle resamples on WebGL).
  const float c = std::cos(roi.rotation), s = std::sin(roi.rotation);
  const float sx = w / size, sy = h / size;
  cv::Matx23d m;
  m(0, 0) = c * sx;
  m(0, 1) = -s * sy;
  m(0, 2) = cx - 0.5 + c * sx * 0.5 - s * sy * 0.5 - c * w * 0.5 + s * h * 0.5;
  m(1, 0) = s * sx;
  m(1, 1) = c * sy;
  m(1, 2) = cy - 0.5 + s * sx * 0.5 + c * sy * 0.5 - s * w * 0.5 - c * h * 0.5;
  const int mode = border == CropBorder::kZero ? cv::BORDER_CONSTANT : cv::BORDER_REPLICATE;
  cv::warpAffine(rgb, out, m, cv::Size(size, size), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, mode,
                 cv::Scalar::all(0));
  return pad;
}

cv::Mat bgr_to_rgb_float(const cv::Mat& bgr) {
  if (bgr.empty() || bgr.type() != CV_8UC3)
    throw std::invalid_argument("expected a non-empty 8-bit BGR image");
  cv::Mat rgb, f;
  cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
  rgb.convertTo(f, CV_32FC3, 1.0 / 255.0);
  return f;
}

}  // namespace intershape::core::detect
