#include "core/formats/npz_writer.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <limits>

#include "core/formats/atomic_file.h"

namespace intershape::core::formats {
namespace {

size_t item_size(const std::string& descr) {
  if (descr.size() < 3) return 0;
  try {
    return static_cast<size_t>(std::stoul(descr.substr(2)));
  } catch (...) {
    return 0;
  }
}

void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}

// 1980-01-01 00:00, the zip epoch: the archive's bytes depend on its content only.
constexpr uint32_t kDosTime = 0, kDosDate = (0 << 9) | (1 << 5) | 1;

}  // namespace

uint32_t crc32(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  crc = ~crc;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string npy_bytes(const std::string& descr, const std::vector<int64_t>& shape, const void* data,
                      size_t byte_count) {
  std::string shape_text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    shape_text += std::to_string(shape[i]);
    if (shape.size() == 1 || i + 1 < shape.size()) shape_text += shape.size() == 1 ? "," : ", ";
  }
  shape_text += ")";
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  // Magic (6) + version (2) + length (2) + header + '\n' padded to 64 bytes.
  const size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  put16(out, static_cast<uint32_t>(header.size()));
  out += header;
  out.append(static_cast<const char*>(data), byte_count);
  return out;
}

namespace {

void check_size(const std::string& name, const std::string& descr,
                const std::vector<int64_t>& shape, uint64_t byte_count) {
  int64_t count = 1;
  for (int64_t d : shape) count *= d;
  const size_t item = item_size(descr);
  if (item == 0 || count < 0 || static_cast<uint64_t>(count) * item != byte_count)
    throw ExportError("npz: array '" + name + "' has " + std::to_string(byte_count) +
                      " bytes, its shape and type " + descr + " need " +
                      std::to_string(count * static_cast<int64_t>(item)));
}

// Calls `chunk` on the `size` bytes at the start of `fd`, in order.
template <typename F>
void read_fd(int fd, uint64_t size, const std::string& path, F&& chunk) {
  std::vector<char> buf(1 << 20);
  for (uint64_t at = 0; at < size;) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - at));
    const ssize_t n = ::pread(fd, buf.data(), want, static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw ExportError("cannot write " + path + ": reading back a spilled array: " +
                        (n < 0 ? std::strerror(errno) : "short file"));
    chunk(buf.data(), static_cast<size_t>(n));
    at += static_cast<uint64_t>(n);
  }
}

}  // namespace

void NpzBuilder::add(const std::string& name, const std::string& descr,
                     const std::vector<int64_t>& shape, const void* data, size_t byte_count) {
  check_size(name, descr, shape, byte_count);
  entries_.push_back({name + ".npy", npy_bytes(descr, shape, data, byte_count)});
}

void NpzBuilder::add_from_fd(const std::string& name, const std::string& descr,
                             const std::vector<int64_t>& shape, int fd, uint64_t byte_count) {
  check_size(name, descr, shape, byte_count);
  const char none = 0;
  entries_.push_back({name + ".npy", npy_bytes(descr, shape, &none, 0), fd, byte_count});
}

void NpzBuilder::write(const std::string& path) const {
  constexpr uint64_t kMax = std::numeric_limits<uint32_t>::max();
  AtomicFile file(path);
  std::string central;
  uint64_t offset = 0;
  for (const Entry& e : entries_) {
    const uint64_t size = e.npy.size() + e.fd_bytes;
    if (size >= kMax || offset >= kMax)
      throw ExportError("cannot write " + path + ": too large for an npz without zip64 (array " +
                        e.name + ")");
    uint32_t crc = crc32(e.npy.data(), e.npy.size());
    if (e.fd >= 0)
      read_fd(e.fd, e.fd_bytes, path, [&](const char* p, size_t n) { crc = crc32(p, n, crc); });
    std::string local;
    put32(local, 0x04034b50);
    put16(local, 20);  // version needed: 2.0
    put16(local, 0);   // flags
    put16(local, 0);   // method: stored
    put16(local, kDosTime);
    put16(local, kDosDate);
    put32(local, crc);
    put32(local, static_cast<uint32_t>(size));
    put32(local, static_cast<uint32_t>(size));
    put16(local, static_cast<uint32_t>(e.name.size()));
    put16(local, 0);
    local += e.name;

    put32(central, 0x02014b50);
    put16(central, 20);  // made by
    put16(central, 20);  // needed
    put16(central, 0);
    put16(central, 0);
    put16(central, kDosTime);
    put16(central, kDosDate);
    put32(central, crc);
    put32(central, static_cast<uint32_t>(size));
    put32(central, static_cast<uint32_t>(size));
    put16(central, static_cast<uint32_t>(e.name.size()));
    put16(central, 0);  // extra
    put16(central, 0);  // comment
    put16(central, 0);  // disk
    put16(central, 0);  // internal attributes
    put32(central, 0);  // external attributes
    put32(central, static_cast<uint32_t>(offset));
    central += e.name;

    file.write(local);
    file.write(e.npy);
    if (e.fd >= 0) read_fd(e.fd, e.fd_bytes, path, [&](const char* p, size_t n) { file.write(p, n); });
    offset += local.size() + size;
  }
  if (offset >= kMax || entries_.size() >= 0xffff)
    throw ExportError("cannot write " + path + ": too large for an npz without zip64");
  std::string end;
  put32(end, 0x06054b50);
  put16(end, 0);
  put16(end, 0);
  put16(end, static_cast<uint32_t>(entries_.size()));
  put16(end, static_cast<uint32_t>(entries_.size()));
  put32(end, static_cast<uint32_t>(central.size()));
  put32(end, static_cast<uint32_t>(offset));
  put16(end, 0);
  file.write(central);
  file.write(end);
  file.commit();
}

}  // namespace intershape::core::formats
