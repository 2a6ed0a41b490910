#pragma once
// The network (core/net, LibTorch) behind the HandEstimator interface: the
// adapter from a cv::Mat network input to core/net's plain RGB view. Built
// only with LibTorch (target intershape_estimator, linking intershape_core and
// intershape_net); it defines core::create_estimator (core/hand_estimator.h).

#include <memory>

#include "core/hand_estimator.h"
#include "core/net/network.h"

namespace intershape::core {

// The borrowed RGB view of a network input. Throws std::invalid_argument
// naming the problem for an empty image or one that is not CV_8UC3 (the size
// is checked by the network).
net::RgbView rgb_view(const cv::Mat& input_rgb);

class NetworkEstimator final : public HandEstimator {
 public:
  explicit NetworkEstimator(std::unique_ptr<net::TwoHandNetwork> network);
  NetworkOutput estimate(const cv::Mat& input_rgb, const EstimateOptions& options) override;
  const std::array<std::vector<int32_t>, 2>& faces() const override;
  std::shared_ptr<const mano::ManoPair> hand_models() const override {
    return network_->hand_models();
  }
  std::string describe() const override;
  net::TwoHandNetwork& network() { return *network_; }

 private:
  std::unique_ptr<net::TwoHandNetwork> network_;
};

}  // namespace intershape::core
