#pragma once
// NumPy .npy arrays and .npz archives (a zip of .npy files, stored without
// compression, as numpy.savez writes them), readable with numpy.load. Written
// by hand: the format is small and we need the bytes to go through AtomicFile.
// Not thread-safe; any thread.

#include <cstdint>
#include <string>
#include <vector>

namespace intershape::core::formats {

// The .npy bytes (format 1.0, C order) of `data`, which holds
// prod(shape) items of `descr` ("<f4", "<f8", "<i4", "<i8", "|b1", "|u1").
std::string npy_bytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data,
                      size_t byte_count);

class NpzBuilder {
 public:
  // Copies the data. `name` without ".npy". Throws ExportError when the
  // byte count does not match the shape.
  void add(const std::string& name, const std::string& descr, const std::vector<int64_t>& shape,
           const void* data, size_t byte_count);
  void add(const std::string& name, const std::vector<int64_t>& shape,
           const std::vector<float>& v) {
    add(name, "<f4", shape, v.data(), v.size() * sizeof(float));
  }
  // The same, with the data bytes read at write() from the open file `fd`
  // (offset 0, `byte_count` bytes; it must stay open until then): arrays too
  // large to hold in memory twice (sequence.npz of a long run).
  void add_from_fd(const std::string& name, const std::string& descr,
                   const std::vector<int64_t>& shape, int fd, uint64_t byte_count);
  // Writes the archive atomically; throws ExportError (including "too large":
  // zip64 is not written, so each array and the archive must stay below 4 GiB).
  void write(const std::string& path) const;

 private:
  struct Entry {
    std::string name;
    std::string npy;  // the whole .npy, or its header when the data is in `fd`
    int fd = -1;
    uint64_t fd_bytes = 0;
  };
  std::vector<Entry> entries_;
};

// CRC-32 (zip / IEEE), exposed for the tests.
uint32_t crc32(const void* data, size_t size, uint32_t crc = 0);

}  // namespace intershape::core::formats
