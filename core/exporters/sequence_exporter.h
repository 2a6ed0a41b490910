#pragma once
// Everything `intershape infer --export ...` writes for a run: per-frame files
// as each frame comes (NAME_right/left/interacting.obj|.ply, NAME.json,
// NAME_attention.*), the sequence files (sequence.glb, sequence.npz) spooled
// to DIR/.sequence.spool frame by frame (flat memory; a killed run's frames
// survive, see sequence_spool.h) and written by finish(). Not thread-safe: one
// thread feeds it.

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/exporters/frame_json.h"
#include "core/exporters/glb_writer.h"
#include "core/exporters/npz_sequence.h"
#include "core/exporters/sequence_spool.h"

namespace intershape::core::exporters {

struct ExportFormats {
  bool obj = true, ply = false, glb = false, json = true, npz = false, attention = false;
  // "obj,ply,glb,json,npz,attention" (any subset, comma separated). Throws
  // std::invalid_argument naming an unknown entry.
  static ExportFormats parse(const std::string& list);
  std::string to_string() const;
};

class SequenceExporter {
 public:
  // Creates `dir` if missing, and the spool when glb or npz is asked for
  // (throws formats::ExportError).
  SequenceExporter(std::string dir, ExportFormats formats,
                   std::array<std::vector<int32_t>, 2> faces);
  // Writes this frame's files now; returns their paths. `input_rgb` (the
  // 256x256 network input) is needed for the attention PNGs only.
  std::vector<std::string> add(const std::string& name, const FrameRecord& record,
                               const NetworkOutput& full_output, const cv::Mat& input_rgb);
  // Writes sequence.glb / sequence.npz when asked for and at least one frame
  // came, and removes the spool.
  std::vector<std::string> finish();
  const ExportFormats& formats() const { return formats_; }

 private:
  std::string dir_;
  ExportFormats formats_;
  std::array<std::vector<int32_t>, 2> faces_;
  std::unique_ptr<SequenceSpool> spool_;
};

}  // namespace intershape::core::exporters
