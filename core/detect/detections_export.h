#pragma once
// The hands MediaPipe's pipeline found, as every export writes them:
//  - JSON, a frame's "detections" list (README "detections schema"): per hand
//    handedness ("right"/"left", as the camera saw it), handedness_score,
//    presence, landmarks 21x[x, y, z] (x, y input-image pixels, z relative
//    depth scaled like x), world_landmarks 21x[x, y, z] (metres), palm
//    {score, box: [x0, y0, x1, y1] pixels} or null when the hand was tracked,
//    region {x_center, y_center, width, height (pixels), rotation (radians)}.
//  - NPZ, fixed-size arrays (kMaxDetections slots per frame) with a count.
// Pure functions; no LibTorch. Floats are printed with 9 significant digits,
// so float32 values read back bit-exact.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "core/detect/detections.h"

namespace intershape::core::detect {

inline constexpr int kMaxDetections = 2;

// The JSON array text of `d.hands` (each hand's palm looked up in d.palms).
std::string detections_to_json(const HandDetections& d);

// Parses what detections_to_json wrote (a JSON array) back into hands, with
// their palm (when present) in `palms` and `palm_index` set. `image_width` and
// `image_height` turn pixels back into normalised palm boxes. Throws
// std::runtime_error naming `where` and the problem ("frame_000003.json:
// detections[1].landmarks has 20 rows, expected 21").
HandDetections detections_from_json(const nlohmann::json& array, int image_width, int image_height,
                                    const std::string& where);

// One array of a sequence NPZ: name (without .npy), numpy dtype, shape, bytes.
struct NamedArray {
  std::string name, descr;
  std::vector<int64_t> shape;
  std::string bytes;
};

// Collects the detections of a sequence, frame by frame, as fixed-size arrays:
//   det_count [T] int32; det_handedness [T, 2] int32 (0 right, 1 left, -1 none);
//   det_handedness_score, det_presence, det_palm_score [T, 2] float32;
//   det_landmarks, det_world_landmarks [T, 2, 21, 3] float32;
//   det_palm_box [T, 2, 4] float32 (pixels). Empty slots are NaN (scores 0).
// More than kMaxDetections hands: the first ones are kept.
//
// DetectionRow is one frame of those arrays, as add() appends it: the
// sequence spool (core/exporters/sequence_spool.h) stores it per frame and
// adds it back when the run is finished, bit for bit.
struct DetectionRow {
  static constexpr int kSlots = kMaxDetections, kValues = kMaxDetections * kHandLandmarks * 3;
  int32_t count = 0;
  std::array<int32_t, kSlots> handedness{};
  std::array<float, kSlots> handedness_score{}, presence{}, palm_score{};
  std::array<float, kValues> landmarks{}, world{};
  std::array<float, kSlots * 4> palm_box{};
};
DetectionRow detection_row(const HandDetections& d);

class DetectionArrays {
 public:
  void add(const HandDetections& d) { add(detection_row(d)); }
  void add(const DetectionRow& row);
  int64_t frames() const { return static_cast<int64_t>(count_.size()); }
  std::vector<NamedArray> arrays() const;

 private:
  std::vector<int32_t> count_, handedness_;
  std::vector<float> handedness_score_, presence_, palm_score_, landmarks_, world_, palm_box_;
};

}  // namespace intershape::core::detect
