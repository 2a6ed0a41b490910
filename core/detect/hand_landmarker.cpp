#include "core/detect/hand_landmarker.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <stdexcept>

#include "core/detect/hand_geometry.h"
#include "core/detect/image_crop.h"
#include "core/detect/tflite_graph.h"

namespace intershape::core::detect {
namespace {

class TfliteHandLandmarker final : public HandLandmarker {
 public:
  TfliteHandLandmarker(const std::string& path, const std::string& device)
      : graph_(TfliteGraph::load(path, device)) {
    const auto& in = graph_->inputs();
    if (in.size() != 1 || in[0].shape != std::vector<int64_t>{1, kLandmarkInput, kLandmarkInput, 3})
      throw std::runtime_error(path + ": not a 224x224 hand landmark model (input shape)");
    // MediaPipe's hand_landmark graph splits the outputs by position:
    // landmarks [1, 63], hand flag [1, 1], handedness [1, 1], world landmarks [1, 63].
    const auto& out = graph_->outputs();
    const std::vector<int64_t> v63{1, 63}, v1{1, 1};
    if (out.size() != 4 || out[0].shape != v63 || out[1].shape != v1 || out[2].shape != v1 ||
        out[3].shape != v63)
      throw std::runtime_error(
          path + ": not a hand landmark model (expected outputs [1,63], [1,1], [1,1], [1,63])");
  }

  HandLandmarks run(const cv::Mat& rgb, const NormRect& roi) override {
    c10::NoGradGuard no_grad;
    cv::Mat input;
    // Border: the landmark graph leaves ImageToTensor's default (replicate).
    const auto pad = crop_to_square(rgb, roi, kLandmarkInput, CropBorder::kReplicate,
                                    /*keep_aspect=*/true, input);
    at::Tensor t = at::from_blob(input.data, {1, kLandmarkInput, kLandmarkInput, 3}, at::kFloat);
    std::vector<at::Tensor> outs = graph_->run({t});
    for (auto& o : outs) o = o.to(at::kCPU).contiguous();
    std::array<float, 63> lm{};
    const float* raw = outs[0].data_ptr<float>();
    // Letterbox removal (MediaPipe's LandmarkLetterboxRemovalCalculator); a
    // no-op for the square regions the tracker makes.
    const float sx = 1.f - pad[0] - pad[2], sy = 1.f - pad[1] - pad[3];
    constexpr float kSide = static_cast<float>(kLandmarkInput);
    for (int i = 0; i < kHandLandmarks; ++i) {
      lm[3 * i] = (raw[3 * i] / kSide - pad[0]) / sx * kSide;
      lm[3 * i + 1] = (raw[3 * i + 1] / kSide - pad[1]) / sy * kSide;
      lm[3 * i + 2] = raw[3 * i + 2] / sx;
    }
    HandLandmarks h;
    h.roi = roi;
    h.landmarks = project_landmarks(lm.data(), roi, rgb.cols, rgb.rows);
    h.world_landmarks = project_world_landmarks(outs[3].data_ptr<float>(), roi);
    h.presence = outs[1].data_ptr<float>()[0];
    const HandednessResult hr = handedness_from_model(outs[2].data_ptr<float>()[0]);
    h.handedness = hr.side;
    h.handedness_score = hr.score;
    return h;
  }

 private:
  std::unique_ptr<TfliteGraph> graph_;
};

}  // namespace

std::unique_ptr<HandLandmarker> make_hand_landmarker(const std::string& model_path,
                                                     const std::string& device) {
  return std::make_unique<TfliteHandLandmarker>(model_path, device);
}

}  // namespace intershape::core::detect
