// Configure-time check (core/train/CMakeLists.txt): LibTorch's c10d with NCCL
// (CUDA builds of PyTorch) compiles and links as core/train/distributed.cpp uses it.
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

int main(int argc, char**) {
  if (argc > 1) {  // never run: only the symbols matter
    auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", c10d::TCPStoreOptions());
    auto opts = c10d::ProcessGroupNCCL::Options::create();
    opts->timeout = std::chrono::milliseconds(1000);
    auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, 0, 1, opts);
    return pg->getBackendName().empty();
  }
  return 0;
}
