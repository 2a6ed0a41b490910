#pragma once
// Everything `intershape infer --export ...` writes for a run: per-frame files
// as each frame comes (NAME_right/left/interacting.obj|.ply, NAME.json,
// NAME_attention.*), the sequence files (sequence.glb, sequence.npz) collected
// in memory and written once by finish(). Not thread-safe: one thread feeds it.

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/exporters/frame_json.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/npz_sequence.h"
#include "core/hand_estimator.h"
#include "core/result_sink.h"

namespace intershape::core::exporters {

struct ExportFormats {
  bool obj = true, ply = false, glb = false, json = true, npz = false, attention = false;
  // "obj,ply,glb,json,npz,attention" (any subset, comma separated). Throws
  // std::invalid_argument naming an unknown entry.
  static ExportFormats parse(const std::string& list);
  std::string to_string() const;
};

// What the per-frame step must provide for these formats (stage details for
// the JSON, the attention detail and the network input for the maps).
EstimateOptions estimate_options_for(const ExportFormats& formats);

class SequenceExporter final : public ResultSink {
 public:
  // Creates `dir` if missing (throws formats::ExportError).
  SequenceExporter(std::string dir, ExportFormats formats,
                   std::array<std::vector<int32_t>, 2> faces);
  // Writes this frame's files now, named after result.frame->name; returns
  // their paths. The attention PNGs need result.network_input.
  std::vector<std::string> add(const FrameResultPtr& result) override;
  // Writes sequence.glb / sequence.npz when asked for and at least one frame came.
  std::vector<std::string> finish() override;
  const ExportFormats& formats() const { return formats_; }

 private:
  std::string dir_;
  ExportFormats formats_;
  std::array<std::vector<int32_t>, 2> faces_;
  GlbSequence glb_;
  NpzSequence npz_;
};

}  // namespace intershape::core::exporters
