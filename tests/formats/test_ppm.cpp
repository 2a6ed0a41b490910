#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/formats/file_io.h"
#include "core/formats/ppm.h"

using namespace intershape::core::formats;

namespace {
std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
}  // namespace

TEST_CASE("a P6 file round-trips, comments and all") {
  RgbImage in{2, 1, {1, 2, 3, 250, 251, 252}};
  const RgbImage out = parse_ppm(ppm_bytes(in), "x.ppm");
  CHECK(out.width == 2);
  CHECK(out.height == 1);
  CHECK(out.pixels == in.pixels);
  const RgbImage c = parse_ppm(bytes("P6 # made by hand\n1 # width\n1\n255\nabc"), "c.ppm");
  CHECK(c.pixels == std::vector<uint8_t>{'a', 'b', 'c'});
}

TEST_CASE("the parity input is the 256x256 network input") {
  const RgbImage im = read_ppm(std::string(INTERSHAPE_TEST_DATA) + "/parity/input.ppm");
  CHECK(im.width == 256);
  CHECK(im.height == 256);
  CHECK(im.pixels.size() == size_t{256} * 256 * 3);
}

TEST_CASE("bad PPM files are FileErrors naming the file and the problem") {
  const auto fails = [](const std::string& text, const std::string& part) {
    CAPTURE(text);
    try {
      parse_ppm(bytes(text), "bad.ppm");
      FAIL("no FileError");
    } catch (const FileError& e) {
      const std::string what = e.what();
      CHECK(what.rfind("bad.ppm: ", 0) == 0);
      CHECK(what.find(part) != std::string::npos);
    }
  };
  fails("P3\n1 1\n255\n000", "not a binary PPM");
  fails("", "not a binary PPM");
  fails("P6\n", "not a binary PPM (P6): expected the width");
  fails("P6\n1\n", "expected the height");
  fails("P6\n0 1\n255\n", "PPM has no pixels");
  fails("P6\n99999999999999999999 1\n255\n", "larger than 16384");
  fails("P6\n1 1\n65535\n", "maximum value is larger than 16384");
  fails("P6\n1 1\n15\n", "maximum value 15 (only 8-bit");
  fails("P6\n2 2\n255\nabc", "truncated: 3 pixel bytes for 2x2 (12 needed)");
  fails("P6\n1 1\n255", "header does not end");
  CHECK_THROWS_AS(read_ppm(std::string(INTERSHAPE_TEST_DATA) + "/no_such.ppm"), FileError);
}
