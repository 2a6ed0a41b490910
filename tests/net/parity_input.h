#pragma once
// What the network tests share: the parity input (tests/data/parity/input.ppm,
// input.png's pixels as a binary PPM, so the engine-only build reads it
// without OpenCV) and the device the parity tests run on.

#include <cstdlib>
#include <string>

#include "core/formats/ppm.h"
#include "core/net/network.h"

namespace intershape::test {

inline const core::formats::RgbImage& parity_image() {
  static const core::formats::RgbImage image =
      core::formats::read_ppm(std::string(INTERSHAPE_TEST_DATA) + "/parity/input.ppm");
  return image;
}

inline core::net::RgbView view_of(const core::formats::RgbImage& image) {
  return {image.pixels.data(), image.width, image.height, 3 * image.width};
}

// INTERSHAPE_TEST_DEVICE (scripts/device_check.sh sets it: "cuda" on a GPU
// machine), else "cpu".
inline std::string test_device() {
  const char* d = std::getenv("INTERSHAPE_TEST_DEVICE");
  return d && *d ? std::string(d) : std::string("cpu");
}

}  // namespace intershape::test
