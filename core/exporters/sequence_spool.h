#pragma once
// Every sequence file of a run (sequence.npz, the rigged sequence.glb,
// sequence_{right,left}.bvh, sequence_frames.glb) is built from one spool on
// disk, DIR/.sequence.spool, appended frame by frame, never from memory:
//   - memory stays flat however long the run (each frame's ~22 KB goes to the
//     file, not into vectors that grow and fragment the heap next to the
//     network's per-frame tensors: issue 14, item 9);
//   - a killed run (SIGKILL, a crash, a power cut) leaves the spool, every
//     complete record of which is a frame done. `intershape infer --resume
//     --output DIR` (finish_spool, sequence_finish.cpp) writes from it, without
//     the model, the same bytes an uninterrupted run over those frames writes:
//     an uninterrupted run's finish() goes through the very same function.
//
// File: a header written whole before the spool gets its name (a temporary,
// fdatasync'ed, renamed, the folder fsync'ed): magic, version, the length and
// an FNV-1a checksum of its body; the body holds which sequence files were
// asked for, both hands' triangles (glb-frames) and both MANO models (the
// rigged glb / BVH: ~2.9 MB, so --resume needs no model files). Then one
// record per frame: magic, payload length, FNV-1a checksum, payload (frame
// index, timestamp, size; the network's output: per hand verts, joints,
// pose, shape, presence; trans, keypoints in frame pixels, heatmap_xyc; the
// detector's NPZ row; the rig camera).
//
// Durability: each record is one write(2) as its frame is done, so a killed
// process loses at most the record being written (the kernel holds the rest).
// Every kSpoolSyncFrames records, and at close, the file is fdatasync'ed, so
// a crash of the machine loses at most the last kSpoolSyncFrames frames. The
// reader stops at the first record that is short, has a bad magic, length or
// checksum (a torn last record: dropped, `torn_tail`). Not thread-safe: one
// thread appends.

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/detect/detections_export.h"
#include "core/exporters/frame_json.h"
#include "core/exporters/rig_sequence.h"
#include "mano/mano_model.h"

namespace intershape::core::exporters {

inline constexpr const char* kSpoolFileName = ".sequence.spool";
// Records between two fdatasync calls (~1.4 MB of a network run).
inline constexpr int kSpoolSyncFrames = 64;

// What a run's spool is for, fixed at its start (the spool's header).
struct SpoolConfig {
  bool npz = false, glb_frames = false, rig_glb = false, bvh = false;
  bool pose_correctives = false;  // rig glb: MANO's pose correctives (rig_gltf.h)
  std::array<std::vector<int32_t>, 2> faces;     // [1540*3] each; glb_frames only
  std::shared_ptr<const mano::ManoPair> models;  // rig_glb / bvh only
  bool rig() const { return rig_glb || bvh; }
};

// One frame read back from a spool.
struct SpoolFrame {
  // frame (index, timestamp, width, height; no picture), has_network, output
  // (hands, trans, xyc; nothing else) and keypoints_frame.
  FrameResult result;
  std::optional<detect::DetectionRow> detections;  // null: the detector did not run
  std::optional<CameraIntrinsics> camera;          // set on frames the rig exports take
};

class SequenceSpool {
 public:
  // Creates DIR/.sequence.spool (replacing one) with its header, durably.
  // Throws formats::ExportError (also for a config whose faces or models are
  // missing or malformed).
  SequenceSpool(const std::string& dir, const SpoolConfig& config);
  ~SequenceSpool();
  SequenceSpool(const SequenceSpool&) = delete;
  SequenceSpool& operator=(const SequenceSpool&) = delete;

  // Appends one frame: `camera` is the rig's camera for a frame with the
  // network's output when the rig exports are on, else null. Throws
  // formats::ExportError naming the file (disk full, a malformed result).
  void append(const FrameResult& result, const CameraIntrinsics* camera);
  int64_t frame_count() const { return frames_; }
  const std::string& path() const { return path_; }
  // fdatasync and close (the file stays until finish_spool removes it).
  // Throws formats::ExportError when the data cannot be made durable.
  void close();

 private:
  std::string path_;
  int fd_ = -1;
  int64_t frames_ = 0;
  std::vector<uint8_t> buffer_;  // one record, reused (no per-frame allocation)
};

struct SpoolContents {
  SpoolConfig config;
  int64_t frames = 0;      // complete records
  bool torn_tail = false;  // a last record cut short (a killed run) was dropped
};

// Reads a spool: the header (`on_header`, optional, with frames = 0), then
// `on_frame` for every complete record in order. Throws formats::ExportError
// naming the file when it is not a complete spool header of this program.
SpoolContents read_spool(const std::string& path,
                         const std::function<void(const SpoolFrame&)>& on_frame,
                         const std::function<void(const SpoolContents&)>& on_header = nullptr);

struct SpoolOutput {
  std::vector<std::string> paths;  // the files written, in order
  std::vector<std::string> notes;  // what was not written and why, in plain words
};

// Writes the sequence files DIR/.sequence.spool asks for, of every complete
// record, in this order: sequence.glb, sequence_right.bvh (+.json),
// sequence_left.bvh (+.json), sequence_frames.glb, sequence.npz (each
// atomically), then removes the spool. None for a spool without frames; no
// rig files when no hand is present in any frame (a note says so). The one
// place these files are built: SequenceExporter::finish() and `infer
// --resume` both call it. Throws formats::ExportError (the spool then stays).
SpoolOutput finish_spool(const std::string& dir);

}  // namespace intershape::core::exporters
