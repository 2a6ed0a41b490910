#include "core/net/device.h"

#include <algorithm>

#include <torch/cuda.h>

#include "core/net/network_config.h"

namespace intershape::core::net {

DeviceChoice resolve_device(const std::string& spec) {
  const bool cuda = torch::cuda::is_available();
  if (spec == "auto") return cuda ? DeviceChoice{true, 0, "cuda:0"} : DeviceChoice{false, 0, "cpu"};
  if (spec == "cpu") return {false, 0, "cpu"};
  if (spec == "cuda" || spec.rfind("cuda:", 0) == 0) {
    int index = 0;
    if (spec.size() > 5) {
      const std::string digits = spec.substr(5);
      if (digits.empty() || digits.size() > 3 ||
          !std::all_of(digits.begin(), digits.end(),
                       [](char ch) { return ch >= '0' && ch <= '9'; }))
        throw ModelError("unknown device '" + spec + "' (expected auto, cpu, cuda or cuda:N)");
      index = std::stoi(digits);
    }
    if (!cuda)
      throw ModelError("device '" + spec +
                       "' asked for, but CUDA is not available in this build or machine");
    const int count = static_cast<int>(torch::cuda::device_count());
    if (index >= count)
      throw ModelError("device '" + spec + "' asked for, but only " + std::to_string(count) +
                       " CUDA device(s) exist");
    return {true, index, "cuda:" + std::to_string(index)};
  }
  throw ModelError("unknown device '" + spec + "' (expected auto, cpu, cuda or cuda:N)");
}

}  // namespace intershape::core::net
