// libFuzzer target: bytes -> the image header sniffer and size policy
// (core/image_limits.h). Only the header parsers run: decoding is OpenCV's.
#include <cstddef>
#include <cstdint>

#include "core/image_limits.h"

using namespace intershape::core;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const auto h = probe_image_header(data, size, "fuzz");
    if (h) check_image_size(*h, ImageLimits{}, "fuzz");
  } catch (const ImageError&) {
  }
  return 0;
}
