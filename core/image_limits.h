#pragma once
// One image-size policy for every reader of still pictures (image folders in
// the GUI, `infer`, `bench`): the width and height are read from the file's
// header before anything is decoded, and a picture above the pixel limit is
// refused with a message naming the file and its size. A 74-byte PNG that
// declares 100000 x 100000 pixels made cv::imread throw inside the capture
// thread; a 13 MB 32000^2 PNG took 3.8 GB (issue 14, items 1, 2 and 8).
//
// The header is parsed by our own code for every format OpenCV reads here:
// PNG, JPEG, BMP, WebP, TIFF, PNM/PAM/PFM, Radiance HDR, OpenEXR, JPEG 2000
// (JP2 and raw codestream) and Sun raster. Content in any other format is
// refused (we cannot know its size before decoding it). Only regular files are
// opened, without blocking (a FIFO or a device is refused at once).
//
// Any thread; no state.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include <opencv2/core.hpp>

namespace intershape::core {

// 8192 x 8192: larger than any camera frame or photo this program needs; the
// decoded BGR image is 192 MiB. Configurable (--max-image-pixels).
inline constexpr int64_t kDefaultMaxImagePixels = int64_t{8192} * 8192;
// A file larger than this is not read into memory (an uncompressed 16-bit RGBA
// TIFF at the default pixel limit is 512 MiB).
inline constexpr uint64_t kDefaultMaxImageFileBytes = uint64_t{512} << 20;

struct ImageLimits {
  int64_t max_pixels = kDefaultMaxImagePixels;  // width * height
  uint64_t max_file_bytes = kDefaultMaxImageFileBytes;
};

// what() is "PATH: PROBLEM", e.g. "x/bomb.png: 100000 x 100000 pixels is more
// than the 67108864 allowed (--max-image-pixels)".
class ImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ImageHeader {
  const char* format = "";  // "PNG", "JPEG", ...
  int64_t width = 0;
  int64_t height = 0;
};

// The format and size the first bytes of a file declare. nullopt: not a format
// we know. Throws ImageError("SOURCE: ...") when the format is recognised but
// its header is cut short or gives no usable size. Never reads outside
// [data, data + size).
std::optional<ImageHeader> probe_image_header(const uint8_t* data, size_t size,
                                              const std::string& source);

// Throws ImageError unless the header's size is within the limits (width and
// height >= 1, width * height <= max_pixels).
void check_image_size(const ImageHeader& header, const ImageLimits& limits,
                      const std::string& source);

// Reads, checks and decodes a still picture (cv::imdecode `flags`, e.g.
// cv::IMREAD_COLOR | cv::IMREAD_IGNORE_ORIENTATION). Throws ImageError naming
// `path` for: not a regular file (folder, FIFO, device: refused without
// blocking), larger than max_file_bytes, unknown format, header above the
// limits, or a decoder failure (OpenCV's message shortened). Never returns an
// empty Mat.
cv::Mat read_image(const std::string& path, const ImageLimits& limits, int flags);

// The same for bytes already in memory (`source` names them in messages).
cv::Mat decode_image(const uint8_t* data, size_t size, const std::string& source,
                     const ImageLimits& limits, int flags);

}  // namespace intershape::core
