#pragma once
// The geometry of MediaPipe's hand graphs, as pure functions (no model):
// - the hand region from a palm (palm_detection_detection_to_roi: rotation from
//   the wrist to the middle-finger MCP keypoint, box scaled 2.6x, shifted up
//   half its height, squared on the long side);
// - the next frame's region from landmarks (hand_landmark_landmarks_to_roi:
//   rotation from the wrist to the index/middle/ring MCPs, box of 12 palm and
//   finger-base landmarks in the rotated frame, scaled 2x, shifted up 0.1);
// - the projection of the landmark model's outputs back into the image;
// - handedness and the association of tracked and detected regions.
// All rects are normalised to the image (see NormRect); image sizes in pixels.

#include <array>
#include <vector>

#include "core/detect/detections.h"

namespace intershape::core::detect {

inline constexpr int kLandmarkInput = 224;  // landmark model input side
inline constexpr int kPalmInput = 192;      // palm model input side

// Wraps an angle into [-pi, pi) as MediaPipe's NormalizeRadians does.
float normalize_radians(float angle);

// RectTransformationCalculator: shift (in units of the rect's own size, along
// its rotated axes), optional squaring on the long side (in pixels), scale.
struct RectTransform {
  float scale_x = 1.f, scale_y = 1.f, shift_x = 0.f, shift_y = 0.f;
  bool square_long = false;
};
NormRect transform_rect(const NormRect& rect, int image_width, int image_height,
                        const RectTransform& t);

// The hand region the landmark model runs on for a palm (image-normalised).
NormRect palm_to_hand_rect(const PalmDetection& palm, int image_width, int image_height);

// The next frame's hand region from 21 landmarks in pixels (only x, y used).
NormRect landmarks_to_hand_rect(const std::array<Point3, kHandLandmarks>& landmarks_px,
                                int image_width, int image_height);

// Landmark model outputs -> image. `raw` is the 63 values of the landmark
// tensor (x, y in 224-pixel crop units, z in the same units); returns pixels,
// z scaled like x (MediaPipe's normalised z, normalize_z 0.4, times the width).
std::array<Point3, kHandLandmarks> project_landmarks(const float* raw, const NormRect& roi,
                                                     int image_width, int image_height);

// World landmarks (63 values, metres, crop axes) rotated back into image axes.
std::array<Point3, kHandLandmarks> project_world_landmarks(const float* raw, const NormRect& roi);

// The handedness head's output is MediaPipe's P("Left") for a mirrored selfie
// picture; for an ordinary camera picture that is P(person's right hand).
// Returns the winning side as the camera saw it and its probability.
struct HandednessResult {
  Handedness side = Handedness::kRight;
  float score = 0.f;
};
HandednessResult handedness_from_model(float raw_left_probability);

// The four corners of a rect in pixels (top-left, top-right, bottom-right,
// bottom-left of the rect's own frame), for overlays and tests.
std::array<Point2, 4> rect_corners_px(const NormRect& rect, int image_width, int image_height);

// IoU of two rects as MediaPipe's association compares them (axis-aligned,
// rotation ignored, normalised coordinates).
float rect_iou(const NormRect& a, const NormRect& b);

// AssociationNormRectCalculator: rects from palm detections first, then the
// tracked ones; each new rect removes earlier ones it overlaps with IoU >
// threshold, so tracked rects win over the palms they duplicate.
std::vector<NormRect> associate_rects(const std::vector<NormRect>& from_palms,
                                      const std::vector<NormRect>& tracked,
                                      float min_similarity = 0.5f);

}  // namespace intershape::core::detect
