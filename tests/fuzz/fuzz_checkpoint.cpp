// libFuzzer target: bytes -> a checkpoint file -> Checkpoint::open (the zip
// container with its CRCs and size checks, or the legacy container with its
// storage walk) -> every tensor record read back. Anything but
// CheckpointError escaping is a bug; ASan/UBSan catch the rest.
//
// The bytes are handed over as a file in memory (memfd, opened through
// /proc/self/fd), because the readers take a path: libzip and mmap read the
// file as they would a real one.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/formats/checkpoint.h"

using namespace intershape::core::formats;

namespace {

// Bytes a single input may make the reader copy out (views may repeat their
// storage up to 1024 times; a few MB keeps each run fast).
constexpr int64_t kMaxReadBytes = int64_t{16} << 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const int fd = ::memfd_create("fuzz_checkpoint", MFD_CLOEXEC);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size) {
    const ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  try {
    const auto ck = Checkpoint::open(path);
    int64_t budget = kMaxReadBytes;
    // The state dict's tensors and the extras' (optimizer state) alike.
    std::vector<const TensorInfo*> all;
    for (const TensorInfo& t : ck->tensors()) all.push_back(&t);
    for (const TensorInfo& t : ck->extra_tensors()) all.push_back(&t);
    for (const TensorInfo* tp : all) {
      const TensorInfo& t = *tp;
      const int64_t bytes = t.numel() * static_cast<int64_t>(dtype_size(t.dtype));
      if (bytes > budget) continue;
      budget -= bytes;
      try {
        const Array a = ck->read(t);
        volatile uint8_t sink = a.bytes.empty() ? 0 : a.bytes.back();
        (void)sink;
      } catch (const CheckpointError&) {
      }
    }
    (void)ck->find("fc.weight");
    (void)ck->find_extra_value("epoch");
    (void)ck->find_extra_tensor("optimizer/state/0/exp_avg");
  } catch (const CheckpointError&) {
  }
  ::close(fd);
  return 0;
}
