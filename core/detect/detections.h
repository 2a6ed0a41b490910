#pragma once
// Plain data produced by MediaPipe's hand pipeline (palm detection, hand
// regions, hand landmarks). No LibTorch, no OpenCV: every sink (JSON, NPZ,
// overlay, tests) reads these.
//
// Coordinates: "normalised" means x / image width and y / image height, as
// MediaPipe's NormalizedRect and relative keypoints are; "pixels" means
// input-image pixels with (0, 0) the top-left corner of the top-left pixel.

#include <array>
#include <string>
#include <vector>

namespace intershape::core::detect {

inline constexpr int kPalmKeypoints =
    7;  // wrist, index MCP, middle MCP, ring MCP, pinky MCP, thumb CMC, thumb MCP
inline constexpr int kHandLandmarks = 21;  // MediaPipe's hand topology

// MediaPipe's hand skeleton: pairs of landmark indices (wrist 0; thumb 1-4;
// index 5-8; middle 9-12; ring 13-16; pinky 17-20), for drawing.
inline constexpr int kHandConnections[][2] = {
    {0, 1},   {1, 2},   {2, 3},   {3, 4},   {0, 5},   {5, 6},   {6, 7},
    {7, 8},   {5, 9},   {9, 10},  {10, 11}, {11, 12}, {9, 13},  {13, 14},
    {14, 15}, {15, 16}, {13, 17}, {0, 17},  {17, 18}, {18, 19}, {19, 20}};

struct Point2 {
  float x = 0.f, y = 0.f;
};
struct Point3 {
  float x = 0.f, y = 0.f, z = 0.f;
};

// A rotated rectangle, normalised to the image (MediaPipe's NormalizedRect).
// `rotation` is in radians; a point (u, v) of the rectangle's own frame (u
// right, v down, both in [-0.5, 0.5]) is at, in pixels (image W x H):
//   x_px = cx_px + cos(r) * u * w_px - sin(r) * v * h_px
//   y_px = cy_px + sin(r) * u * w_px + cos(r) * v * h_px.
struct NormRect {
  float x_center = 0.f, y_center = 0.f, width = 0.f, height = 0.f, rotation = 0.f;
};

// One palm found by the detector, normalised to the image (letterbox removed).
struct PalmDetection {
  float score = 0.f;                                        // sigmoid of the model's logit
  float xmin = 0.f, ymin = 0.f, width = 0.f, height = 0.f;  // axis-aligned box
  std::array<Point2, kPalmKeypoints> keypoints{};
};

// Which hand, as the camera saw it (an ordinary, un-mirrored picture).
enum class Handedness { kRight, kLeft };
inline const char* handedness_name(Handedness h) {
  return h == Handedness::kRight ? "right" : "left";
}

// One hand from the landmark model.
struct HandLandmarks {
  // x, y in input-image pixels; z is MediaPipe's relative depth scaled like x
  // (pixels, wrist-relative sign: smaller = nearer the camera).
  std::array<Point3, kHandLandmarks> landmarks{};
  // Metres, origin near the hand's centre, axes of the image (x right, y down).
  std::array<Point3, kHandLandmarks> world_landmarks{};
  Handedness handedness = Handedness::kRight;
  float handedness_score = 0.f;  // probability of `handedness`, 0.5..1
  float presence = 0.f;          // hand-flag probability
  NormRect roi;                  // the region the landmark model ran on
  bool from_palm = false;        // roi came from a palm detection this frame (else tracked)
  int palm_index = -1;           // index into HandDetections::palms when from_palm
};

// Everything the pipeline found in one image.
struct HandDetections {
  int image_width = 0, image_height = 0;
  bool palm_detection_ran = false;   // false when tracking made it unnecessary
  std::vector<PalmDetection> palms;  // after NMS and the max-hands clip
  std::vector<NormRect> palm_rois;   // the hand region of each palm (same order)
  std::vector<HandLandmarks> hands;  // hands whose presence passed the threshold
  double palm_ms = 0.0;              // time spent in palm detection (0 if skipped)
  double landmarks_ms = 0.0;         // total time of the landmark model runs
};

}  // namespace intershape::core::detect
