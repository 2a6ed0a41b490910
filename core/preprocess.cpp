#include "core/preprocess.h"

#include <opencv2/imgproc.hpp>

namespace intershape::core {

cv::Mat make_network_input(const cv::Mat& frame_bgr, const CropRect& crop) {
  const double s = crop.scale();
  // Same call as the reference (cv2.warpAffine, INTER_LINEAR, border 0), so a
  // whole-frame crop gives bit-identical input.
  cv::Mat affine = (cv::Mat_<double>(2, 3) << s, 0, -s * crop.x0, 0, s, -s * crop.y0);
  cv::Mat warped;
  cv::warpAffine(frame_bgr, warped, affine, cv::Size(kInputSize, kInputSize), cv::INTER_LINEAR,
                 cv::BORDER_CONSTANT, cv::Scalar(0, 0, 0));
  cv::Mat rgb;
  cv::cvtColor(warped, rgb, cv::COLOR_BGR2RGB);
  return rgb;
}

std::array<std::array<float, 3>, kJoints> keypoints_in_frame(
    const std::array<std::array<float, 3>, kJoints>& xyc, const CropRect& crop) {
  std::array<std::array<float, 3>, kJoints> out{};
  const float inv = crop.side / static_cast<float>(kInputSize);
  const float cell = static_cast<float>(kInputSize) / kHeatmapSize;
  for (int j = 0; j < kJoints; ++j) {
    out[j][0] = crop.x0 + xyc[j][0] * cell * inv;
    out[j][1] = crop.y0 + xyc[j][1] * cell * inv;
    out[j][2] = xyc[j][2];
  }
  return out;
}

}  // namespace intershape::core
