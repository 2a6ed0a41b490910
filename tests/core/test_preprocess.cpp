#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "core/preprocess.h"

using namespace intershape::core;

TEST_CASE("whole-frame crop letterboxes top-left like the reference demo") {
  // 512x256 frame: scale 0.5, the picture fills the top half, black below.
  cv::Mat frame(256, 512, CV_8UC3, cv::Scalar(10, 20, 30));  // B, G, R
  const CropRect crop = CropRect::whole_frame(frame.cols, frame.rows);
  CHECK(crop.side == 512.f);
  cv::Mat input = make_network_input(frame, crop);
  REQUIRE(input.rows == 256);
  REQUIRE(input.cols == 256);
  REQUIRE(input.type() == CV_8UC3);
  const cv::Vec3b top = input.at<cv::Vec3b>(10, 100);
  CHECK(top[0] == 30);  // RGB order
  CHECK(top[2] == 10);
  const cv::Vec3b bottom = input.at<cv::Vec3b>(200, 100);
  CHECK(bottom == cv::Vec3b(0, 0, 0));
}

TEST_CASE("256x256 frame is passed through unchanged, channels swapped") {
  cv::Mat frame(256, 256, CV_8UC3);
  cv::randu(frame, 0, 255);
  cv::Mat input = make_network_input(frame, CropRect::whole_frame(256, 256));
  cv::Mat back;
  cv::cvtColor(input, back, cv::COLOR_RGB2BGR);
  CHECK(cv::norm(back, frame, cv::NORM_INF) == 0);
}

TEST_CASE("keypoints map from heatmap cells back to frame pixels") {
  std::array<std::array<float, 3>, kJoints> xyc{};
  xyc[0] = {10.f, 20.f, 0.9f};
  const CropRect crop{100.f, 50.f, 512.f};  // 2 frame pixels per input pixel
  auto kp = keypoints_in_frame(xyc, crop);
  CHECK(kp[0][0] == doctest::Approx(100 + 10 * 4 * 2));
  CHECK(kp[0][1] == doctest::Approx(50 + 20 * 4 * 2));
  CHECK(kp[0][2] == doctest::Approx(0.9f));
}
