#pragma once
// The hand-detection options every entry point takes (the GUI and `infer`):
// --crop whole|detect|track and --hand-models DIR, registered in one place.

#include <memory>
#include <string>

#include <CLI/CLI.hpp>

#include "core/crop_localiser.h"
#include "core/detect/hand_tracker.h"

namespace intershape::app {

struct HandOptions {
  std::string crop = "detect";  // whole | detect | track
  std::string models_dir;       // --hand-models; empty: assets/models near the cwd/executable
  core::CropMode crop_mode() const { return *core::parse_crop_mode(crop); }
};

void add_hand_options(CLI::App& cmd, HandOptions& options, const std::string& help_suffix = "");

// Loads MediaPipe's two models (size and sha256 checked) on `device` ("auto":
// CUDA when available, else the CPU). Throws detect::HandModelError (a missing
// or altered file: names it and scripts/fetch_hand_models.sh) or
// detect::TfliteError. Only in builds with LibTorch.
std::unique_ptr<core::detect::HandTracker> load_hand_tracker(const HandOptions& options,
                                                             const std::string& device);

}  // namespace intershape::app
