#pragma once
// The model options every entry point takes (the GUI, `infer`, `bench`),
// registered in one place so their names, checks and help agree.

#include <string>

#include <CLI/CLI.hpp>

#include "core/hand_estimator.h"
#include "core/image_limits.h"

namespace intershape::app {

// The largest --threads accepted: 4 x the cores std::thread reports (4 when
// it reports none). More threads than that only add contention.
int max_cpu_threads();

// Binds --checkpoint, --mano, --device, --precision, --threads and --synthetic
// on `cmd` to `config` (which must outlive parsing). `help_suffix` is appended
// to each help text (" (GUI)" where the options sit beside subcommands).
void add_model_options(CLI::App& cmd, core::ModelConfig& config,
                       const std::string& help_suffix = "");

}  // namespace intershape::app

namespace intershape::app {

// --max-image-pixels: the largest still picture (width x height) read from an
// image file or folder; larger ones are skipped, named, from their header
// (core/image_limits.h). Default core::kDefaultMaxImagePixels (8192 x 8192).
void add_image_limit_option(CLI::App& cmd, core::ImageLimits& limits,
                            const std::string& help_suffix = "");

}  // namespace intershape::app
