#include "core/formats/ppm.h"

#include <cctype>

#include "core/formats/file_io.h"

namespace intershape::core::formats {
namespace {

constexpr int kMaxSide = 16384;

// Skips whitespace and '#' comments up to the next token.
void skip_space(const std::vector<uint8_t>& b, size_t& i) {
  while (i < b.size()) {
    if (b[i] == '#') {
      while (i < b.size() && b[i] != '\n') ++i;
    } else if (std::isspace(b[i])) {
      ++i;
    } else {
      return;
    }
  }
}

int read_number(const std::vector<uint8_t>& b, size_t& i, const std::string& name,
                const char* what) {
  skip_space(b, i);
  if (i >= b.size() || !std::isdigit(b[i]))
    throw FileError(name + ": not a binary PPM (P6): expected the " + what);
  long v = 0;
  while (i < b.size() && std::isdigit(b[i])) {
    v = v * 10 + (b[i] - '0');
    if (v > kMaxSide) throw FileError(name + ": PPM " + what + " is larger than 16384");
    ++i;
  }
  return static_cast<int>(v);
}

}  // namespace

RgbImage parse_ppm(const std::vector<uint8_t>& bytes, const std::string& name) {
  if (bytes.size() < 2 || bytes[0] != 'P' || bytes[1] != '6')
    throw FileError(name + ": not a binary PPM (P6): the file does not start with \"P6\"");
  size_t i = 2;
  RgbImage image;
  image.width = read_number(bytes, i, name, "width");
  image.height = read_number(bytes, i, name, "height");
  const int maxval = read_number(bytes, i, name, "maximum value");
  if (image.width == 0 || image.height == 0) throw FileError(name + ": PPM has no pixels");
  if (maxval != 255)
    throw FileError(name + ": PPM maximum value " + std::to_string(maxval) +
                    " (only 8-bit, 255, is read)");
  // Exactly one whitespace byte separates the header from the pixels.
  if (i >= bytes.size() || !std::isspace(bytes[i]))
    throw FileError(name + ": PPM header does not end in whitespace");
  ++i;
  const size_t need =
      size_t{3} * static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  if (bytes.size() - i < need)
    throw FileError(name + ": PPM is truncated: " + std::to_string(bytes.size() - i) +
                    " pixel bytes for " + std::to_string(image.width) + "x" +
                    std::to_string(image.height) + " (" + std::to_string(need) + " needed)");
  image.pixels.assign(bytes.begin() + static_cast<std::ptrdiff_t>(i),
                      bytes.begin() + static_cast<std::ptrdiff_t>(i + need));
  return image;
}

RgbImage read_ppm(const std::string& path) {
  // The largest picture parse_ppm accepts, plus a generous header.
  return parse_ppm(read_file_bytes(path, size_t{3} * kMaxSide * kMaxSide + 4096), path);
}

std::vector<uint8_t> ppm_bytes(const RgbImage& image) {
  const std::string header =
      "P6\n" + std::to_string(image.width) + " " + std::to_string(image.height) + "\n255\n";
  std::vector<uint8_t> out(header.begin(), header.end());
  out.insert(out.end(), image.pixels.begin(), image.pixels.end());
  return out;
}

}  // namespace intershape::core::formats
