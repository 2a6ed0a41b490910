#pragma once
// The sequence files (sequence.npz, sequence_frames.glb) of a run, spooled to disk
// frame by frame instead of kept in memory:
//   - memory stays flat however long the run (each frame's ~20 KB goes to the
//     file, not into vectors that grow and fragment the heap next to the
//     network's per-frame tensors: issue 14, item 9);
//   - a killed run leaves DIR/.sequence.spool, every complete record of which
//     is a frame done; `intershape infer --resume --output DIR` turns it into
//     sequence.npz / sequence_frames.glb (finish_spool) without the model.
//
// File: a header (magic, version, which sequence files were asked for, both
// hands' faces) then one fixed-size record per frame: magic, an FNV-1a
// checksum of the payload, the payload (frame, timestamp, per hand verts,
// joints, pose, shape, presence; trans, keypoints2d, heatmap_xyc). Records are
// appended with write(2): a SIGKILL loses at most the record being written,
// which the reader recognises (short or bad checksum) and ignores. Not
// thread-safe: one thread appends.

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/exporters/frame_json.h"

namespace intershape::core::exporters {

inline constexpr const char* kSpoolFileName = ".sequence.spool";

class SequenceSpool {
 public:
  // Creates DIR/.sequence.spool (replacing one). Throws formats::ExportError.
  SequenceSpool(const std::string& dir, bool glb, bool npz,
                const std::array<std::vector<int32_t>, 2>& faces);
  ~SequenceSpool();
  SequenceSpool(const SequenceSpool&) = delete;
  SequenceSpool& operator=(const SequenceSpool&) = delete;

  // Appends one frame. Throws formats::ExportError naming the file (disk full).
  void append(const FrameResult& result);
  int64_t frame_count() const { return frames_; }
  const std::string& path() const { return path_; }
  // Closes the file (it stays until finish_spool removes it).
  void close();

 private:
  std::string path_;
  int fd_ = -1;
  int64_t frames_ = 0;
};

struct SpoolContents {
  bool glb = false, npz = false;
  std::array<std::vector<int32_t>, 2> faces;
  int64_t frames = 0;  // complete records
  bool torn_tail = false;  // a last record cut short (a killed run) was ignored
};

// Reads a spool: the header (`on_header`, optional, with frames = 0), then
// `on_frame` for every complete record in order (a FrameResult whose frame has
// index and timestamp only, no picture). Throws formats::ExportError
// naming the file when it is not a spool.
SpoolContents read_spool(const std::string& path,
                         const std::function<void(const FrameResult&)>& on_frame,
                         const std::function<void(const SpoolContents&)>& on_header = nullptr);

// Writes DIR/sequence_frames.glb and/or DIR/sequence.npz (as the spool's run asked)
// from DIR/.sequence.spool, then removes the spool. Returns the paths written
// (none for a spool without frames). Throws formats::ExportError.
std::vector<std::string> finish_spool(const std::string& dir);

}  // namespace intershape::core::exporters
