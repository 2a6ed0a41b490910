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

// MANO parameters of one hand at one stage.
struct HandParams {
  std::array<float, kPoseDim> pose{};    // radians; hand_mean NOT included
  std::array<float, kShapeDim> shape{};  // betas
};

// Everything the network gives for one hand.
struct HandOutput {
  HandParams params;               // final (stage 3)
  std::vector<float> joints3d;     // [21*3] mm, MANO space as the network outputs it
  std::vector<float> verts3d;      // [778*3] mm
  float presence = 0.f;            // InterNet hand-type probability (sigmoid)
};

// Optional per-stage detail, filled when NetworkOptions::stage_details is set.
struct StageDetail {
  std::array<HandParams, 2> params;               // [right, left]
  std::array<std::vector<float>, 2> joints3d;     // [21*3] mm each
  std::array<std::vector<float>, 2> verts3d;      // [778*3] mm each (may be empty for stages 0..2 when not requested)
};

// Optional heavy tensors for the attention inspector, filled only when asked
// (NetworkOptions::attention_details), so they cost nothing otherwise.
struct AttentionDetail {
  // [42, 64, 64, 64] (joint, depth, y, x) when full heatmaps were asked for, else empty.
  std::vector<float> heatmaps;
  // [42, 64, 64]: each joint's heatmap max over depth.
  std::vector<float> heatmap_depth_max;
  // Gaussian joint maps used by refinement stage s = 1..3, per hand: index
  // [hand][s-1], side 8, 16, 32.
  std::array<std::array<std::vector<float>, 3>, 2> stage_maps;
};

// The full result of one forward pass on one 256x256 input.
struct NetworkOutput {
  std::array<HandOutput, 2> hands;  // [right, left]
  std::array<float, 4> trans{};     // left relative to right: [log scale, tx, ty, tz]
  // Per joint (0..20 right, 21..41 left): heatmap argmax cell x, y (0..63) and the peak value.
  std::array<std::array<float, 3>, kJoints> xyc{};
  std::vector<float> attention;     // [2, 64, 64]: right, left
  std::vector<StageDetail> stages;  // empty, or kStages entries (0..3)
  std::shared_ptr<const AttentionDetail> attention_detail;  // may be null

  // Per-stage timings of this pass, milliseconds.
  struct Timings {
    double internet_ms = 0, attention_ms = 0, meshreg_ms = 0, cascade_ms = 0, mano_ms = 0,
           total_ms = 0;
  } timings;
};

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
