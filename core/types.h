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

struct RecordedResult;  // below

// One picture from a source. `bgr` is CV_8UC3 and owned by this frame.
struct Frame {
  cv::Mat bgr;
  int64_t index = 0;         // frame number in the source (0-based)
  double timestamp_s = 0.0;  // source time: video position, or seconds since capture start
  Clock::time_point captured_at{};
  // Replay of a recorded session only: the result stored with this frame
  // (null otherwise). The worker publishes it instead of running the network.
  std::shared_ptr<const RecordedResult> recorded;
};

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

// A result read back from a recording, carried by its frame (Frame::recorded).
struct RecordedResult {
  CropRect crop;
  NetworkOutput output;
  std::array<std::array<float, 3>, kJoints> keypoints_frame{};
};

// What the inference worker publishes: the result and the frame it belongs to,
// so an overlay always matches its picture.
struct InferenceResult {
  std::shared_ptr<const Frame> frame;
  CropRect crop;
  NetworkOutput output;
  // Keypoints in frame pixels: x, y, confidence (42 rows, right hand first).
  std::array<std::array<float, 3>, kJoints> keypoints_frame{};
  Clock::time_point finished_at{};
};

}  // namespace intershape::core
