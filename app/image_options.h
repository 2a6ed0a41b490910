#pragma once
// --max-image-pixels, for the entry points that read still pictures (the GUI,
// `infer`, `bench`); not in the engine-only build, which reads no images but
// a PPM.

#include <string>

#include <CLI/CLI.hpp>

#include "core/image_limits.h"

namespace intershape::app {

// --max-image-pixels: the largest still picture (width x height) read from an
// image file or folder; larger ones are skipped, named, from their header
// (core/image_limits.h). Default core::kDefaultMaxImagePixels (8192 x 8192).
void add_image_limit_option(CLI::App& cmd, core::ImageLimits& limits,
                            const std::string& help_suffix = "");

}  // namespace intershape::app
