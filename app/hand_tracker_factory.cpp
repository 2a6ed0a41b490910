// load_hand_tracker (app/hand_options.h): the LibTorch side, only in builds
// with LibTorch.
#include <ATen/Context.h>

#include "app/hand_options.h"

namespace intershape::app {

std::unique_ptr<core::detect::HandTracker> load_hand_tracker(const HandOptions& options,
                                                             const std::string& device) {
  const std::string d = device == "auto" ? (at::hasCUDA() ? "cuda" : "cpu") : device;
  return core::detect::HandTracker::load(options.models_dir, d);
}

}  // namespace intershape::app
