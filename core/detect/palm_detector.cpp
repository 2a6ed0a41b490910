#include "core/detect/palm_detector.h"

#include <ATen/ATen.h>
#include <c10/core/GradMode.h>

#include <stdexcept>

#include "core/detect/anchors.h"
#include "core/detect/hand_geometry.h"
#include "core/detect/image_crop.h"
#include "core/detect/palm_decode.h"
#include "core/detect/tflite_graph.h"

namespace intershape::core::detect {
namespace {

class TflitePalmDetector final : public PalmDetector {
 public:
  TflitePalmDetector(const std::string& path, const std::string& device, float min_score)
      : graph_(TfliteGraph::load(path, device)),
        anchors_(generate_ssd_anchors(SsdAnchorOptions::palm_192())) {
    options_.min_score = min_score;
    const auto& in = graph_->inputs();
    if (in.size() != 1 || in[0].shape != std::vector<int64_t>{1, kPalmInput, kPalmInput, 3})
      throw std::runtime_error(path + ": not a 192x192 palm detection model (input shape)");
    const auto& out = graph_->outputs();
    const int64_t n = static_cast<int64_t>(anchors_.size());
    // The boxes are [1, 2016, 18] and the scores [1, 2016, 1], in either order.
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].shape == std::vector<int64_t>{1, n, options_.num_coords})
        boxes_index_ = static_cast<int>(i);
      if (out[i].shape == std::vector<int64_t>{1, n, 1}) scores_index_ = static_cast<int>(i);
    }
    if (out.size() != 2 || boxes_index_ < 0 || scores_index_ < 0)
      throw std::runtime_error(
          path + ": not a palm detection model (expected outputs [1, 2016, 18] and [1, 2016, 1])");
  }

  std::vector<PalmDetection> detect(const cv::Mat& rgb) override {
    c10::NoGradGuard no_grad;
    cv::Mat input;
    crop_to_square(rgb, NormRect{0.5f, 0.5f, 1.f, 1.f, 0.f}, kPalmInput, CropBorder::kZero,
                   /*keep_aspect=*/true, input);
    at::Tensor t = at::from_blob(input.data, {1, kPalmInput, kPalmInput, 3}, at::kFloat);
    const std::vector<at::Tensor> outs = graph_->run({t});
    const at::Tensor boxes = outs[boxes_index_].to(at::kCPU).contiguous();
    const at::Tensor scores = outs[scores_index_].to(at::kCPU).contiguous();
    return postprocess_palms(boxes.data_ptr<float>(), scores.data_ptr<float>(), anchors_, options_,
                             rgb.cols, rgb.rows);
  }

  void set_min_score(float min_score) override { options_.min_score = min_score; }

 private:
  std::unique_ptr<TfliteGraph> graph_;
  std::vector<Anchor> anchors_;
  PalmDecodeOptions options_;
  int boxes_index_ = -1, scores_index_ = -1;
};

}  // namespace

std::unique_ptr<PalmDetector> make_palm_detector(const std::string& model_path,
                                                 const std::string& device, float min_score) {
  return std::make_unique<TflitePalmDetector>(model_path, device, min_score);
}

}  // namespace intershape::core::detect
