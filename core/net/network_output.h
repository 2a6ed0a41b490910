#pragma once
// The network's plain results: its dimensions, the hands, MANO parameters and
// everything one forward pass gives. Plain data (no LibTorch, no OpenCV), so
// the network (core/net), the hand-model helpers (core/mesh), core, the
// exporters and the renderer share one definition. core/types.h re-exports
// these names into intershape::core, where the rest of the program uses them.

#include <array>
#include <memory>
#include <vector>

namespace intershape::core::net {

inline constexpr int kInputSize = 256;     // network input, pixels
inline constexpr int kHeatmapSize = 64;    // heatmap grid (x, y and depth)
inline constexpr int kJointsPerHand = 21;  // 16 MANO joints + 5 fingertips
inline constexpr int kJoints = 42;         // right hand first, then left
inline constexpr int kVertsPerHand = 778;
inline constexpr int kFacesPerHand = 1540;
inline constexpr int kPoseDim = 48;  // axis-angle: global 3 + 15 joints x 3
inline constexpr int kShapeDim = 10;
inline constexpr int kStages = 4;  // stage 0 = MeshRegNet, 1..3 = cascade

enum class Hand { kRight = 0, kLeft = 1 };
inline const char* hand_name(Hand h) { return h == Hand::kRight ? "right" : "left"; }

// MANO parameters of one hand at one stage.
struct HandParams {
  std::array<float, kPoseDim> pose{};    // radians; hand_mean NOT included
  std::array<float, kShapeDim> shape{};  // betas
};

// Everything the network gives for one hand.
struct HandOutput {
  HandParams params;            // final (stage 3)
  std::vector<float> joints3d;  // [21*3] mm, MANO space as the network outputs it
  std::vector<float> verts3d;   // [778*3] mm
  float presence = 0.f;         // InterNet hand-type probability (sigmoid)
};

// Optional per-stage detail, filled when EstimateOptions::stage_details is set.
struct StageDetail {
  std::array<HandParams, 2> params;            // [right, left]
  std::array<std::vector<float>, 2> joints3d;  // [21*3] mm each
  std::array<std::vector<float>, 2>
      verts3d;  // [778*3] mm each (may be empty for stages 0..2 when not requested)
};

// Optional heavy tensors for the attention inspector, filled only when asked
// (EstimateOptions::attention_details), so they cost nothing otherwise.
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
  std::vector<float> attention;                             // [2, 64, 64]: right, left
  std::vector<StageDetail> stages;                          // empty, or kStages entries (0..3)
  std::shared_ptr<const AttentionDetail> attention_detail;  // may be null

  // Per-stage timings of this pass, milliseconds.
  struct Timings {
    double internet_ms = 0, attention_ms = 0, meshreg_ms = 0, cascade_ms = 0, mano_ms = 0,
           total_ms = 0;
  } timings;
};

}  // namespace intershape::core::net
