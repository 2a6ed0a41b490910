#pragma once
// The parameter file of `intershape mano`: {"right": {"pose": [48], "shape":
// [10]}, "left": {...}}, either side optional. Read here, without LibTorch, so
// the sanitizer build and the fuzzer (tests/fuzz/fuzz_params.cpp) check it.
//
// Limits (stated in the help and README): a pose value is an axis-angle
// component in radians, |v| <= kMaxPoseValue; a shape value is a PCA
// coefficient in standard deviations, |v| <= kMaxShapeValue. Each value is
// read as a double and checked to be finite and representable as a float
// before it is narrowed (narrowing 1e300 to float is undefined behaviour, and
// 1e30 gave NaN vertices).

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace intershape::mano {

inline constexpr double kMaxPoseValue = 100.0;   // radians (~16 turns)
inline constexpr double kMaxShapeValue = 100.0;  // standard deviations (MANO's span about +-3)
// Two hands' parameters are a few KB; anything far larger is not a parameter file.
inline constexpr uint64_t kMaxParamsBytes = uint64_t{16} << 20;

// what() is "SOURCE: PROBLEM".
class ParamsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HandParams {
  std::vector<float> pose;   // 48: global rotation then 15 joints, axis-angle, radians
  std::vector<float> shape;  // kShapeComponents
};

// [0] right, [1] left; at least one is set.
using ManoParams = std::array<std::optional<HandParams>, 2>;

// `text` is the file's content, `source` names it in messages. Throws ParamsError.
ManoParams parse_mano_params(std::string_view text, const std::string& source);
// Reads the file (a regular file of at most kMaxParamsBytes). Throws ParamsError.
ManoParams read_mano_params(const std::string& path);

// `v` as a float, or ParamsError "WHERE: V is not finite" / "... is beyond
// the range of a 32-bit float". Any thread.
float checked_float(double v, const std::string& where);

}  // namespace intershape::mano
