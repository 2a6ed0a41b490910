#pragma once
// A whole sequence as one .npz (see docs/FORMATS.md): per-frame arrays
// stacked along a first axis T. Collects frames in memory (about 27 KB each)
// and writes once, atomically. A run's exporter does not keep one through the
// run: it fills one from its spool at the end (sequence_spool.h). Not thread-safe.

#include <string>
#include <vector>

#include "core/detect/detections_export.h"
#include "core/exporters/frame_json.h"

namespace intershape::core::exporters {

class NpzSequence {
 public:
  void add(const FrameResult& result);
  // The same with the frame's detections as a row (`detections` null: the
  // detector did not run); result.detections is not read. The spool's way.
  void add(const FrameResult& result, const detect::DetectionRow* detections);
  size_t frame_count() const { return frame_index_.size(); }
  // Throws formats::ExportError (also for an empty sequence).
  void write(const std::string& path) const;

 private:
  struct HandArrays {
    std::vector<float> verts, joints, pose, shape, presence;
  };
  HandArrays hands_[2];
  std::vector<float> trans_, keypoints2d_, heatmap_xyc_;
  std::vector<int64_t> frame_index_;
  // MediaPipe's hands (det_* arrays), written when any frame had them.
  detect::DetectionArrays detections_;
  bool any_detections_ = false;
  int network_frames_ = 0;  // frames with the network's output (all or none)
  std::vector<double> timestamp_;
};

}  // namespace intershape::core::exporters
