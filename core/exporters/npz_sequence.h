#pragma once
// A whole sequence as one .npz (see docs/FORMATS.md): per-frame arrays
// stacked along a first axis T. Collects frames in memory (about 27 KB each)
// and writes once, atomically. Not thread-safe.

#include <string>
#include <vector>

#include "core/exporters/frame_json.h"

namespace intershape::core::exporters {

class NpzSequence {
 public:
  void add(const FrameResult& result);
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
  std::vector<double> timestamp_;
};

}  // namespace intershape::core::exporters
