#pragma once
// MediaPipe's palm detector (palm_detection_full.tflite, 192x192): the whole
// image letterboxed into the model, SSD decoding, score threshold, weighted
// non-max suppression, letterbox removal (see palm_decode.h).
//
// An interface, so the tracker can be tested with a fake; the TFLite/LibTorch
// implementation comes from make_palm_detector(). This header is LibTorch-free.
// Not thread-safe: one thread uses a detector at a time.

#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/detect/detections.h"

namespace intershape::core::detect {

class PalmDetector {
 public:
  virtual ~PalmDetector() = default;
  // rgb: the whole image, CV_32FC3, values 0..1 (bgr_to_rgb_float). Returns the
  // palms normalised to that image, by descending score.
  virtual std::vector<PalmDetection> detect(const cv::Mat& rgb) = 0;
  // Palms below this score are dropped before suppression (MediaPipe's
  // min_detection_confidence, default 0.5).
  virtual void set_min_score(float min_score) = 0;
};

// Loads `model_path` (palm_detection_full.tflite) on `device` ("cpu", "cuda",
// "cuda:N"). Throws TfliteError (file, problem) or std::runtime_error when the
// model's inputs/outputs are not the palm detector's.
std::unique_ptr<PalmDetector> make_palm_detector(const std::string& model_path,
                                                 const std::string& device, float min_score = 0.5f);

}  // namespace intershape::core::detect
