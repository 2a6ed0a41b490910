// The adapter from core's cv::Mat network input to core/net's RGB view (no
// model is loaded: the view and the pixels are what it adds).
#include <doctest/doctest.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/formats/ppm.h"
#include "core/network_estimator.h"
#include "core/preprocess.h"

using namespace intershape;

TEST_CASE("the view borrows the Mat's pixels and stride") {
  cv::Mat big(300, 300, CV_8UC3, cv::Scalar(1, 2, 3));
  const cv::Mat roi = big(cv::Rect(10, 20, 256, 256));
  const core::net::RgbView v = core::rgb_view(roi);
  CHECK(v.data == roi.ptr<uint8_t>(0));
  CHECK(v.width == 256);
  CHECK(v.height == 256);
  CHECK(v.stride_bytes == 900);
}

TEST_CASE("a Mat that is not 8-bit RGB is a clear error") {
  CHECK_THROWS_WITH_AS(core::rgb_view(cv::Mat()), doctest::Contains("empty"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(core::rgb_view(cv::Mat(256, 256, CV_8UC1)), doctest::Contains("CV_8UC3"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(core::rgb_view(cv::Mat(256, 256, CV_32FC3)), doctest::Contains("CV_8UC3"),
                       std::invalid_argument);
}

TEST_CASE("input.png through the preprocessing is the network tests' input.ppm") {
  // The network tests read input.ppm (no OpenCV there); this ties it to the
  // product's path from a decoded picture to the network input.
  const std::string data = INTERSHAPE_TEST_DATA;
  const cv::Mat bgr = cv::imread(data + "/parity/input.png", cv::IMREAD_COLOR);
  REQUIRE(!bgr.empty());
  const cv::Mat input =
      core::make_network_input(bgr, core::CropRect::whole_frame(bgr.cols, bgr.rows));
  const core::formats::RgbImage ppm = core::formats::read_ppm(data + "/parity/input.ppm");
  REQUIRE(input.isContinuous());
  CHECK(std::vector<uint8_t>(input.data, input.data + input.total() * 3) == ppm.pixels);
  CHECK(core::net::input_to_chw(core::rgb_view(input)) ==
        core::net::input_to_chw({ppm.pixels.data(), 256, 256, 768}));
}
