#pragma once
// The one parser of a device name ("auto", "cpu", "cuda", "cuda:N") for
// everything that runs LibTorch (the network, `intershape mano`). LibTorch
// stays out of this header: the caller builds its c10::Device from the result.

#include <string>

namespace intershape::core::net {

struct DeviceChoice {
  bool cuda = false;
  int index = 0;     // CUDA device index (0 for the CPU)
  std::string name;  // "cpu" or "cuda:N"
};

// Resolves `spec`: "auto" is cuda:0 when CUDA is available, else the CPU.
// Throws ModelError (core/net/network_config.h) for an unknown name, a CUDA
// device when this LibTorch or machine has none, or an index that does not exist.
DeviceChoice resolve_device(const std::string& spec);

}  // namespace intershape::core::net
