// libFuzzer target: bytes -> the `intershape mano` parameter file reader
// (mano/mano_params.h): JSON structure, counts, bounds and checked narrowing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mano/mano_params.h"

using namespace intershape::mano;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const ManoParams p =
        parse_mano_params(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    for (const auto& h : p) {
      if (!h) continue;
      if (h->pose.size() != 48) __builtin_trap();  // the contract
      for (float v : h->pose)
        if (!(v >= -kMaxPoseValue && v <= kMaxPoseValue)) __builtin_trap();
    }
  } catch (const ParamsError&) {
  }
  return 0;
}
