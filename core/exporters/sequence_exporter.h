#pragma once
// Everything `intershape infer --export ...` writes for a run: per-frame files
// as each frame comes (NAME_right/left/interacting.obj|.ply, NAME.json,
// NAME_attention.*), and the sequence files (sequence.npz, the rigged
// sequence.glb, sequence_{right,left}.bvh, sequence_frames.glb): every frame
// they need is appended to DIR/.sequence.spool as it comes (flat memory; a
// killed run's frames survive and `infer --resume` finishes them, see
// sequence_spool.h), and finish() builds them from it. Not thread-safe: one
// thread feeds it.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/exporters/frame_json.h"
#include "core/exporters/rig_sequence.h"
#include "core/exporters/sequence_spool.h"
#include "core/hand_estimator.h"
#include "core/result_sink.h"

namespace intershape::core::exporters {

struct ExportFormats {
  bool obj = true, ply = false, glb = false, json = true, npz = false, attention = false;
  bool bvh = false;         // sequence_right.bvh / sequence_left.bvh (+ .bvh.json)
  bool glb_frames = false;  // the per-frame-node mesh sequence, sequence_frames.glb
  // OBJ/PLY for hands marked absent too, as the reference demo writes them
  // (parity checks); not part of the parse()d list (infer --absent-hands).
  bool absent_meshes = false;
  // "obj,ply,glb,bvh,glb-frames,json,npz,attention" (any subset, comma
  // separated). "glb" is the rigged glTF (rig_gltf.h). Throws
  // std::invalid_argument naming an unknown entry.
  static ExportFormats parse(const std::string& list);
  std::string to_string() const;
};

// What the per-frame step must provide for these formats (stage details for
// the JSON, the attention detail and the network input for the maps).
EstimateOptions estimate_options_for(const ExportFormats& formats);

// The rigged exports (glb, bvh). Camera: a focal length in source pixels, or
// an intrinsics file (rig_sequence.h load_intrinsics), or neither
// (kDefaultHorizontalFovDeg).
struct RigOptions {
  double focal_px = 0;
  std::string intrinsics_path;
  bool pose_correctives = false;  // glb: MANO's pose correctives as morph targets (rig_gltf.h)
};

class SequenceExporter final : public ResultSink {
 public:
  // Creates `dir` if missing (throws formats::ExportError). `models` are needed
  // for glb and bvh (throws formats::ExportError when they are asked for and
  // `models` is null). Without `faces` (skeleton mode: no network loaded) only
  // json and npz are written.
  // Every sequence file goes through the spool on disk (sequence_spool.h),
  // created here when one is asked for (throws formats::ExportError).
  SequenceExporter(std::string dir, ExportFormats formats,
                   std::array<std::vector<int32_t>, 2> faces,
                   std::shared_ptr<const mano::ManoPair> models = nullptr, RigOptions rig = {});
  // Writes this frame's files now, named after result.frame->name; returns
  // their paths. The attention PNGs need result.network_input.
  std::vector<std::string> add(const FrameResultPtr& result) override;
  // Writes the sequence files asked for (sequence.glb, sequence_{right,left}.bvh,
  // sequence_frames.glb, sequence.npz) when at least one frame came. The rig
  // files are left out when no hand is present in any frame (notes() says so).
  std::vector<std::string> finish() override;
  // Things the user should know about what was (not) written, in plain words.
  const std::vector<std::string>& notes() const { return notes_; }
  const ExportFormats& formats() const { return formats_; }

 private:
  std::string dir_;
  ExportFormats formats_;
  std::array<std::vector<int32_t>, 2> faces_;
  std::shared_ptr<const mano::ManoPair> models_;
  RigOptions rig_options_;
  CameraIntrinsics camera_{};
  bool camera_set_ = false;
  std::vector<std::string> notes_;
  // All sequence files' frames: on disk, so memory stays flat and a killed
  // run can be finished by `infer --resume` (sequence_spool.h).
  std::unique_ptr<SequenceSpool> spool_;
};

}  // namespace intershape::core::exporters
