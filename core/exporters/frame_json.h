#pragma once
// The per-frame result JSON (the `intershape infer` schema, also the
// per-frame files of a recorded session). docs/FORMATS.md describes it.
// Floats are written with 9 significant digits, so float32 values read back
// bit-exact. Pure functions, any thread.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/types.h"

namespace intershape::core::exporters {

inline constexpr int kFrameJsonVersion = 1;

// One frame's result as it is exported: everything from the InferenceResult
// that is not a picture, plus where it came from.
struct FrameRecord {
  int64_t frame = 0;                      // frame number in the source (0-based)
  double timestamp_s = 0.0;               // source time
  std::string source;                     // input file / camera name
  int image_width = 0, image_height = 0;  // the source frame's size, pixels
  CropRect crop;                          // what the network saw, frame pixels
  NetworkOutput output;  // raw network outputs, mm; attention_detail is not exported here
  // x, y in input-image (frame) pixels, confidence; right hand's 21 first.
  std::array<std::array<float, 3>, kJoints> keypoints2d{};
  double preprocess_ms = 0.0;  // timings outside the network, reported with its own
};

// Builds the record of a published result.
FrameRecord make_frame_record(const InferenceResult& result, const std::string& source);

struct JsonOptions {
  bool attention = true;  // write "attention" when the output has it
  bool stages = true;     // write "stages" when the output has them
};

std::string frame_to_json(const FrameRecord& record, const JsonOptions& options = {});

// Parses a file written by frame_to_json. `name` is used in errors. Throws
// formats::ExportError ("frame_000012.json: right.verts3d has 10 rows, expected 778").
// attention_detail stays null; stage vertices are not stored.
FrameRecord frame_from_json(std::string_view text, const std::string& name);

}  // namespace intershape::core::exporters
