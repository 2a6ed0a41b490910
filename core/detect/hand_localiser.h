#pragma once
// Where the two-hand network should look, from MediaPipe's hands (the
// "acquire" step of the crop). Pure arithmetic; no model, no LibTorch.
//
// Two hands found: the square around both, its side (1 + 2 * margin) times the
// larger extent of their landmarks' box. One hand found: MediaPipe sees only
// one hand of an interacting pair (one of two in every such photo of
// tests/data/real), so the square is centred on that hand and its side is
// `single_hand_side` times the hand's extent: 3x lets a same-size hand touching
// it on any side fit inside. Measured on the four interacting-pair photos
// there, the pair needed 0.89-0.99 of the margin-only square around the found
// hand, i.e. at most 1.6x the found hand's extent; 3x keeps the pair inside
// with room for hands side by side, and the network's own keypoints tighten
// the crop from the next frame on (tracking).

#include <optional>
#include <vector>

#include "core/detect/detections.h"
#include "core/types.h"

namespace intershape::core::detect {

struct LocaliserSettings {
  float margin = 0.3f;            // side = (1 + 2 * margin) * extent, for two hands
  float single_hand_side = 3.0f;  // side = single_hand_side * extent, for one hand
  float min_side_px = 32.f;       // never smaller than this
};

// The square crop (frame pixels; may extend past the frame, the border is
// black) around the hands, or nullopt when there are none.
std::optional<CropRect> crop_around_hands(const std::vector<HandLandmarks>& hands,
                                          const LocaliserSettings& settings = {});

// Axis-aligned box {x0, y0, x1, y1} of a hand's 21 landmarks, pixels.
std::array<float, 4> landmark_box(const HandLandmarks& hand);

}  // namespace intershape::core::detect
