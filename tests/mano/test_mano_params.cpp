// The parameter file of `intershape mano` (mano/mano_params.h): bounds and
// checked narrowing (issue 14, item 4). Torch-free: runs in the sanitizer
// build, where narrowing 1e300 to float is reported by UBSan.
#include <doctest/doctest.h>

#include <string>

#include "mano/mano_params.h"

using namespace intershape::mano;

namespace {

std::string hand(const std::string& pose0, const std::string& shape0 = "0") {
  std::string pose = "[" + pose0;
  for (int i = 1; i < 48; ++i) pose += ",0";
  std::string shape = "[" + shape0;
  for (int i = 1; i < 10; ++i) shape += ",0";
  return "{\"right\": {\"pose\": " + pose + "], \"shape\": " + shape + "]}}";
}

std::string error(const std::string& text) {
  try {
    parse_mano_params(text, "p.json");
  } catch (const ParamsError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("values within the stated limits are read as floats") {
  const ManoParams p = parse_mano_params(hand("0.25", "-3"), "p.json");
  REQUIRE(p[0].has_value());
  CHECK_FALSE(p[1].has_value());
  CHECK(p[0]->pose.size() == 48);
  CHECK(p[0]->pose[0] == 0.25f);
  CHECK(p[0]->shape[0] == -3.0f);
  CHECK(error(hand("100", "-100")) == "no error");  // the limits themselves are allowed
}

TEST_CASE("1e30 and 1e300 are refused with a message, not narrowed to inf/NaN") {
  CHECK(error(hand("1e30")) == "p.json: right.pose[0] is 1e+30, outside [-100, 100]");
  CHECK(error(hand("1e300")) ==
        "p.json: right.pose[0] is 1e+300, beyond the range of a 32-bit float");
  CHECK(error(hand("-1e300")) ==
        "p.json: right.pose[0] is -1e+300, beyond the range of a 32-bit float");
  CHECK(error(hand("0", "100.5")) == "p.json: right.shape[0] is 100.5, outside [-100, 100]");
  CHECK(error(hand("101")) == "p.json: right.pose[0] is 101, outside [-100, 100]");
}

TEST_CASE("checked_float: the float range edge") {
  CHECK(checked_float(3.4e38, "x") == static_cast<float>(3.4e38));
  CHECK_THROWS_WITH_AS(checked_float(3.5e38, "x"), "x is 3.5e+38, beyond the range of a 32-bit float",
                       ParamsError);
  CHECK_THROWS_WITH_AS(checked_float(1.0 / 0.0, "x"), "x is not finite", ParamsError);
}

TEST_CASE("structure errors name the file and the place") {
  CHECK(error("[]") == "p.json: expected an object with \"right\" and/or \"left\"");
  CHECK(error("{}") == "p.json: neither \"right\" nor \"left\" is given");
  CHECK(error("{\"right\": {\"pose\": [1], \"shape\": []}}") ==
        "p.json: right.pose has 1 values, expected 48");
  CHECK(error("{\"middle\": {}}").find("unknown key \"middle\"") != std::string::npos);
  CHECK(error("{").rfind("p.json: not valid JSON", 0) == 0);
}

TEST_CASE("read_mano_params refuses a folder, naming it") {
  CHECK_THROWS_WITH_AS(read_mano_params(INTERSHAPE_TEST_DATA), doctest::Contains("is a folder"),
                       ParamsError);
}
