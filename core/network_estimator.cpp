#include "core/network_estimator.h"

#include <stdexcept>
#include <string>

namespace intershape::core {

net::RgbView rgb_view(const cv::Mat& input_rgb) {
  if (input_rgb.empty()) throw std::invalid_argument("network input: the image is empty");
  if (input_rgb.type() != CV_8UC3)
    throw std::invalid_argument(
        "network input: expected an 8-bit 3-channel RGB image (CV_8UC3), got type " +
        std::to_string(input_rgb.type()) + " with " + std::to_string(input_rgb.channels()) +
        " channel(s)");
  return {input_rgb.ptr<uint8_t>(0), input_rgb.cols, input_rgb.rows,
          static_cast<int>(input_rgb.step[0])};
}

NetworkEstimator::NetworkEstimator(std::unique_ptr<net::TwoHandNetwork> network)
    : network_(std::move(network)) {}

NetworkOutput NetworkEstimator::estimate(const cv::Mat& input_rgb, const EstimateOptions& options) {
  return network_->estimate(rgb_view(input_rgb), options);
}

const std::array<std::vector<int32_t>, 2>& NetworkEstimator::faces() const {
  return network_->faces();
}

std::string NetworkEstimator::describe() const { return network_->describe(); }

std::unique_ptr<HandEstimator> create_estimator(const ModelConfig& config) {
  return std::make_unique<NetworkEstimator>(net::TwoHandNetwork::create(config));
}

}  // namespace intershape::core
