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

struct JsonOptions {
  bool attention = true;  // write "attention" when the output has it
  bool stages = true;     // write "stages" when the output has them
};

// The result with its frame's index, time, source and size; the attention
// detail and the network input are not written.
std::string frame_to_json(const FrameResult& result, const JsonOptions& options = {});

// Parses a file written by frame_to_json. `name` is used in errors. Throws
// formats::ExportError ("frame_000012.json: right.verts3d has 10 rows, expected 778").
// The result's frame carries index, timestamp, source and size, no picture;
// attention_detail stays null; stage vertices are not stored.
FrameResult frame_from_json(std::string_view text, const std::string& name);

}  // namespace intershape::core::exporters
