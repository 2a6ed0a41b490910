// Configure-time check (core/train/CMakeLists.txt): LibTorch's c10d with Gloo
// compiles and links as core/train/distributed.cpp uses it.
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

int main(int argc, char**) {
  if (argc > 1) {  // never run: only the symbols matter
    c10d::TCPStoreOptions so;
    so.isServer = true;
    auto store = c10::make_intrusive<c10d::TCPStore>("127.0.0.1", so);
    auto opts = c10d::ProcessGroupGloo::Options::create(std::chrono::milliseconds(1000));
    opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, 0, 1, opts);
    return pg->getBackendName().empty();
  }
  return 0;
}
