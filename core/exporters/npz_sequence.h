#pragma once
// A whole sequence as one .npz (see docs/FORMATS.md): per-frame arrays
// stacked along a first axis T, written once, atomically. Collects frames in
// memory (about 27 KB each), or, made with a spill folder, keeps the
// network's arrays (~21 KB a frame: vertices, joints, parameters, keypoints)
// in unnamed temporary files there and only the detections and indices
// (~1 KB a frame) in memory: finish_spool (sequence_spool.h) builds the NPZ
// of a long run that way. Not thread-safe.

#include <memory>
#include <string>
#include <vector>

#include "core/detect/detections_export.h"
#include "core/exporters/frame_json.h"

namespace intershape::core::formats {
class NpzBuilder;
}

namespace intershape::core::exporters {

// Floats appended in memory, or to an unnamed temporary file (O_TMPFILE, or
// created and unlinked at once: nothing is left behind by a kill).
class FloatColumn {
 public:
  FloatColumn() = default;
  ~FloatColumn();
  FloatColumn(const FloatColumn&) = delete;
  FloatColumn& operator=(const FloatColumn&) = delete;
  // Throws formats::ExportError naming `dir`.
  void spill_to(const std::string& dir);
  void append(const float* p, size_t n);  // throws formats::ExportError (disk full)
  void add_to(formats::NpzBuilder& npz, const std::string& name,
              const std::vector<int64_t>& shape) const;

 private:
  std::vector<float> memory_;
  int fd_ = -1;
  uint64_t bytes_ = 0;
  std::string dir_;
};

class NpzSequence {
 public:
  NpzSequence() = default;
  // Spills the network's arrays to `spill_dir` (see above). Throws
  // formats::ExportError when no file can be made there.
  explicit NpzSequence(const std::string& spill_dir);
  void add(const FrameResult& result);
  // The same with the frame's detections as a row (`detections` null: the
  // detector did not run); result.detections is not read. The spool's way.
  void add(const FrameResult& result, const detect::DetectionRow* detections);
  size_t frame_count() const { return frame_index_.size(); }
  // Throws formats::ExportError (also for an empty sequence).
  void write(const std::string& path) const;

 private:
  struct HandArrays {
    FloatColumn verts, joints, pose, shape, presence;
  };
  HandArrays hands_[2];
  FloatColumn trans_, keypoints2d_, heatmap_xyc_;
  std::vector<int64_t> frame_index_;
  // MediaPipe's hands (det_* arrays), written when any frame had them.
  detect::DetectionArrays detections_;
  bool any_detections_ = false;
  int network_frames_ = 0;  // frames with the network's output (all or none)
  std::vector<double> timestamp_;
};

}  // namespace intershape::core::exporters
