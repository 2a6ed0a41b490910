#pragma once
// Palm-detection post-processing as MediaPipe's palm graph does it:
// TensorsToDetectionsCalculator (box + 7 keypoints decoded against SSD anchors,
// sigmoid scores, score threshold), NonMaxSuppressionCalculator (WEIGHTED,
// IoU 0.3) and DetectionLetterboxRemovalCalculator. Pure arithmetic on the
// model's raw outputs; no LibTorch, so it is testable without the model.

#include <array>
#include <vector>

#include "core/detect/anchors.h"
#include "core/detect/detections.h"

namespace intershape::core::detect {

struct PalmDecodeOptions {
  int num_coords = 18;       // 4 box values + 7 keypoints x 2
  float scale = 192.f;       // x/y/w/h scale (the model input side)
  float score_clip = 100.f;  // logits clipped to +-score_clip before the sigmoid
  float min_score = 0.5f;    // applied BEFORE suppression, as MediaPipe does
  float min_suppression_iou = 0.3f;
};

// Decodes raw outputs: `boxes` is [anchors.size() x num_coords] row-major
// (x_center, y_center, w, h, then keypoint x, y pairs; in model-input pixels
// relative to the anchor), `scores` is [anchors.size()] logits. Returns the
// candidates with sigmoid(score) >= min_score, normalised to the model input
// (letterboxed), in anchor order. Boxes with a negative or NaN size are dropped.
std::vector<PalmDetection> decode_palms(const float* boxes, const float* scores,
                                        const std::vector<Anchor>& anchors,
                                        const PalmDecodeOptions& options);

// Intersection over union of two axis-aligned boxes (0 when disjoint).
float box_iou(const PalmDetection& a, const PalmDetection& b);

// MediaPipe's weighted non-max suppression: highest score first; every
// remaining candidate with IoU > threshold against it (itself included) is
// merged into one detection whose box corners and keypoints are the
// score-weighted means, with the top score. Output is by descending score.
std::vector<PalmDetection> weighted_nms(std::vector<PalmDetection> candidates,
                                        float min_suppression_iou);

// Letterbox of a whole W x H image fitted into a square model input:
// {left, top, right, bottom} as fractions of the input (MediaPipe's
// LETTERBOX_PADDING).
std::array<float, 4> letterbox_padding(int image_width, int image_height);

// Maps a detection from letterboxed model-input coordinates to the image.
PalmDetection remove_letterbox(const PalmDetection& d, const std::array<float, 4>& padding);

// Everything above: decode, threshold, suppress, un-letterbox.
std::vector<PalmDetection> postprocess_palms(const float* boxes, const float* scores,
                                             const std::vector<Anchor>& anchors,
                                             const PalmDecodeOptions& options, int image_width,
                                             int image_height);

}  // namespace intershape::core::detect
