// One image-size policy, from the header, before decoding (core/image_limits.h;
// issue 14, item 8).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "core/image_limits.h"
#include "tests/test_util.h"

using namespace intershape::core;
namespace fs = std::filesystem;

namespace {

const std::string kData = INTERSHAPE_TEST_DATA;
const std::string kBomb = kData + "/images/bomb_100000x100000.png";

std::vector<uint8_t> bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
}

std::string read_error(const std::string& path, const ImageLimits& limits = {}) {
  try {
    read_image(path, limits, cv::IMREAD_COLOR);
  } catch (const ImageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("every format's header gives the picture's size (OpenCV-written 80x48 samples)") {
  int formats = 0;
  for (const auto& e : fs::directory_iterator(kData + "/fuzz/image_header")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("sample_80x48.", 0) != 0) continue;
    CAPTURE(name);
    const std::vector<uint8_t> b = bytes_of(e.path().string());
    const auto h = probe_image_header(b.data(), b.size(), name);
    REQUIRE(h.has_value());
    CHECK(h->width == 80);
    CHECK(h->height == 48);
    // And the whole path decodes it, to the same size.
    const cv::Mat m = read_image(e.path().string(), {}, cv::IMREAD_COLOR);
    CHECK(m.cols == 80);
    CHECK(m.rows == 48);
    ++formats;
  }
  CHECK(formats >= 12);
}

TEST_CASE("the 74-byte 100000x100000 PNG is refused from its header, named, not decoded") {
  REQUIRE(bytes_of(kBomb).size() == 74);
  // Was: cv::imread threw an assertion (SIGABRT in the GUI's capture thread).
  CHECK(read_error(kBomb) == kBomb +
                                 ": 100000 x 100000 pixels (PNG) is more than the 67108864 pixels "
                                 "allowed (--max-image-pixels); not decoded");
}

TEST_CASE("the pixel limit is configurable; the default is 8192 x 8192") {
  CHECK(kDefaultMaxImagePixels == 8192 * 8192);
  const std::string png = kData + "/fuzz/image_header/sample_80x48.png";
  ImageLimits small;
  small.max_pixels = 80 * 48 - 1;
  CHECK(read_error(png, small).find("80 x 48 pixels (PNG) is more than the 3839 pixels") !=
        std::string::npos);
  small.max_pixels = 80 * 48;
  CHECK(read_error(png, small) == "no error");
}

TEST_CASE("a 32000 x 32000 PNG is refused before any decoding memory is taken") {
  // The 13 MB file took 3.8 GB; its header alone is enough to refuse it.
  intershape::test::TempDir dir("image_limits");
  std::vector<uint8_t> b = bytes_of(kData + "/fuzz/image_header/sample_80x48.png");
  b[16] = 0, b[17] = 0, b[18] = 0x7d, b[19] = 0x00;  // width 32000 (CRC now wrong: not read)
  b[20] = 0, b[21] = 0, b[22] = 0x7d, b[23] = 0x00;
  const std::string path = dir / "big.png";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                              static_cast<std::streamsize>(b.size()));
  CHECK(read_error(path).find("32000 x 32000 pixels (PNG) is more than") != std::string::npos);
}

TEST_CASE("a FIFO, a folder, an empty file, unknown content: refused at once, named") {
  intershape::test::TempDir dir("image_limits");
  const std::string fifo = dir / "pipe.png";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  // Was: open() blocked forever waiting for a writer.
  CHECK(read_error(fifo) == fifo + ": is not a regular file (a FIFO, socket or device); not read");
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(1));
  CHECK(read_error(dir.path()) == dir.path() + ": is a folder, not a picture");
  std::ofstream(dir / "empty.png").close();
  CHECK(read_error(dir / "empty.png") == dir / "empty.png" + ": is empty");
  std::ofstream(dir / "text.png") << "hello, not a picture";
  CHECK(read_error(dir / "text.png") ==
        dir / "text.png" + ": not a picture in a format this program reads");
  CHECK(read_error(dir / "missing.png").find("cannot open file (No such file") != std::string::npos);
}

TEST_CASE("cut-short and hostile headers: ImageError naming the source, never a read past the end") {
  const std::vector<uint8_t> png = bytes_of(kData + "/fuzz/image_header/sample_80x48.png");
  for (size_t n = 1; n < 24; ++n) {
    CAPTURE(n);
    try {
      const auto h = probe_image_header(png.data(), n, "cut.png");
      CHECK(!h.has_value());  // too short to recognise
    } catch (const ImageError& e) {
      CHECK(std::string(e.what()) == "cut.png: PNG header is cut short");
    }
  }
  // Every prefix of every sample: a size, nullopt or ImageError; ASan checks the reads.
  for (const auto& e : fs::directory_iterator(kData + "/fuzz/image_header")) {
    const std::vector<uint8_t> b = bytes_of(e.path().string());
    for (size_t n = 0; n <= std::min<size_t>(b.size(), 600); ++n) {
      std::vector<uint8_t> copy(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
      try {
        probe_image_header(copy.data(), copy.size(), "x");
      } catch (const ImageError&) {
      }
    }
  }
  // A JPEG whose segment lengths run in a circle cannot loop: lengths only move forward.
  const uint8_t jpeg[] = {0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x02, 0xFF, 0xE1, 0x00, 0x02};
  CHECK_THROWS_WITH_AS(probe_image_header(jpeg, sizeof jpeg, "j.jpg"),
                       "j.jpg: JPEG header is cut short", ImageError);
  // Zero sizes are refused by the policy, not passed to the decoder.
  ImageHeader zero;
  zero.format = "BMP";
  zero.width = 0;
  zero.height = 5;
  CHECK_THROWS_WITH_AS(check_image_size(zero, {}, "z.bmp"),
                       "z.bmp: BMP header declares 0 x 5 pixels", ImageError);
}

TEST_CASE("OpenEXR: the dataWindow attribute gives the size") {
  // magic, version 2, then "dataWindow\0box2i\0" 16 bytes (0,0)-(99,49), end of header.
  std::string h("\x76\x2f\x31\x01\x02\x00\x00\x00", 8);
  h += std::string("dataWindow\0box2i\0", 17);
  auto le = [](int32_t v) { return std::string(reinterpret_cast<const char*>(&v), 4); };
  h += le(16) + le(0) + le(0) + le(99) + le(49) + std::string(1, '\0');
  const auto r = probe_image_header(reinterpret_cast<const uint8_t*>(h.data()), h.size(), "x.exr");
  REQUIRE(r.has_value());
  CHECK(r->width == 100);
  CHECK(r->height == 50);
}
