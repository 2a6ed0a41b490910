#pragma once
// MediaPipe's hand landmark model (hand_landmark_full.tflite, 224x224) on one
// rotated hand region: 21 landmarks in image pixels with relative depth, 21
// world landmarks in metres, handedness and presence (see hand_geometry.h for
// the projections). An interface, so the tracker can be tested with a fake;
// make_hand_landmarker() gives the TFLite/LibTorch one. LibTorch-free header.
// Not thread-safe: one thread uses a landmarker at a time.

#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "core/detect/detections.h"

namespace intershape::core::detect {

class HandLandmarker {
 public:
  virtual ~HandLandmarker() = default;
  // rgb: the whole image, CV_32FC3, values 0..1; roi normalised to it. Always
  // returns the model's answer (the caller thresholds `presence`); `roi` is
  // copied into the result.
  virtual HandLandmarks run(const cv::Mat& rgb, const NormRect& roi) = 0;
};

// Loads `model_path` (hand_landmark_full.tflite) on `device`. Throws
// TfliteError (file, problem) or std::runtime_error when the model's
// inputs/outputs are not the landmark model's.
std::unique_ptr<HandLandmarker> make_hand_landmarker(const std::string& model_path,
                                                     const std::string& device);

}  // namespace intershape::core::detect
