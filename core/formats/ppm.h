#pragma once
// Binary PPM (P6, maxval 255) pictures: the one image format the engine-only
// build reads without OpenCV (`intershape bench --image`, the network tests).
// Any thread; no state.

#include <cstdint>
#include <string>
#include <vector>

namespace intershape::core::formats {

// 8-bit RGB pixels, rows top to bottom, no padding: pixels.size() == 3 * width * height.
struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;
};

// Parses a P6 file's bytes (header comments allowed, maxval 255, at most
// 16384x16384). Throws FileError "NAME: PROBLEM" for anything else or a file
// shorter than its header says; `name` is only used in the message.
RgbImage parse_ppm(const std::vector<uint8_t>& bytes, const std::string& name);
// Reads and parses `path` (FileError as read_file_bytes throws too).
RgbImage read_ppm(const std::string& path);
// The P6 file of `image` (for test data and tools).
std::vector<uint8_t> ppm_bytes(const RgbImage& image);

}  // namespace intershape::core::formats
