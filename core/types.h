#pragma once
// The values that travel between the capture thread, the inference worker, the
// renderer and the exporters. Everything here is plain data: no LibTorch, no GL.
// Frames and results are shared as std::shared_ptr<const T> and never mutated
// after publication, so any thread may read them.

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/detect/detections.h"
#include "core/net/network_output.h"

namespace intershape::core {

using Clock = std::chrono::steady_clock;

// The network's dimensions and result types (core/net/network_output.h),
// under their usual names.
using net::kInputSize;
using net::kHeatmapSize;
using net::kJointsPerHand;
using net::kJoints;
using net::kVertsPerHand;
using net::kFacesPerHand;
using net::kPoseDim;
using net::kShapeDim;
using net::kStages;
using net::Hand;
using net::hand_name;
using net::HandParams;
using net::HandOutput;
using net::StageDetail;
using net::AttentionDetail;
using net::NetworkOutput;

// One picture from a source, and where it came from. `bgr` is CV_8UC3 and
// owned by this frame; it is empty only for a result read back without its
// picture (a per-frame JSON file on its own).
struct Frame {
  cv::Mat bgr;
  int width = 0, height = 0;  // the picture's size, pixels (kept when bgr is empty)
  int64_t index = 0;          // frame number in the source (0-based)
  double timestamp_s = 0.0;   // source time: video position, or seconds since capture start
  Clock::time_point captured_at{};
  std::string source;  // what it came from, as exports name it: "clip.mp4", "IMG_1.png", "camera 0"
  std::string name;    // the stem its exported files get: "clip_000012", "IMG_1"
};
using FramePtr = std::shared_ptr<const Frame>;

// The square region of a frame that the network sees, in frame pixels. The
// network input is that square scaled to 256x256: input = (frame - origin) * scale,
// scale = 256 / side. The reference demo's fit of a whole frame is
// {0, 0, max(w, h)} (top-left aligned, black border).
struct CropRect {
  float x0 = 0.f, y0 = 0.f, side = 256.f;
  float scale() const { return 256.f / side; }
  static CropRect whole_frame(int width, int height) {
    return {0.f, 0.f, static_cast<float>(width > height ? width : height)};
  }
};

// Which localiser chose a crop (--crop; shown in the GUI, written to results).
enum class CropSource { kWhole, kDetect, kTrack, kManual };
const char* crop_source_name(CropSource s);  // "whole", "detect", "track", "manual"

// What the per-frame step makes of one frame, and the one type every consumer
// takes: the renderer, the panels, the recorder, the JSON/NPZ/glTF exporters
// and replay. It carries the frame it came from, so an overlay always matches
// its picture. Published once, never mutated after (shared_ptr<const>).
struct FrameResult {
  FramePtr frame;  // never null
  CropRect crop;   // what the network saw, frame pixels
  NetworkOutput output;
  // Keypoints in frame pixels: x, y, confidence (42 rows, right hand first).
  std::array<std::array<float, 3>, kJoints> keypoints_frame{};
  // The 256x256 RGB network input, only when EstimateOptions::keep_input asked for it.
  std::shared_ptr<const cv::Mat> network_input;
  double preprocess_ms = 0.0;  // crop + resize; the network's own times are in output.timings
  Clock::time_point finished_at{};
  bool replayed = false;  // read back from a recording, not computed now
  // False in skeleton mode (no network loaded): `output` and `keypoints_frame`
  // are empty, the hands are in `detections`.
  bool has_network = true;
  CropSource crop_source = CropSource::kWhole;
  // MediaPipe's hands in this frame; null when the detector did not run.
  std::shared_ptr<const detect::HandDetections> detections;
};
using FrameResultPtr = std::shared_ptr<const FrameResult>;

// A frame made from a picture: size from the picture, the rest as given.
FramePtr make_frame(cv::Mat bgr, int64_t index, double timestamp_s, std::string source,
                    std::string name);

}  // namespace intershape::core
