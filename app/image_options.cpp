#include "app/image_options.h"

namespace intershape::app {

void add_image_limit_option(CLI::App& cmd, core::ImageLimits& limits,
                            const std::string& help_suffix) {
  cmd.add_option("--max-image-pixels", limits.max_pixels,
                 "Largest picture read from an image file, width x height; larger ones are "
                 "skipped, named (default 8192 x 8192)" +
                     help_suffix)
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34));
}

}  // namespace intershape::app
