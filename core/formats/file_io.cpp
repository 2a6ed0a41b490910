#include "core/formats/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace intershape::core::formats {

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& problem) {
  throw FileError(path + ": " + problem);
}

void check_mode(const std::string& path, mode_t mode) {
  if (S_ISDIR(mode)) fail(path, "is a folder, not a file");
  if (!S_ISREG(mode)) fail(path, "is not a regular file");
}

// Reads the whole regular file into `out` (a byte container).
template <typename Bytes>
void read_into(const std::string& path, uint64_t max_bytes, Bytes& out) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; fstat rejects it.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(path, std::string("cannot open file (") + std::strerror(errno) + ")");
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    fail(path, std::string("cannot read file (") + std::strerror(err) + ")");
  }
  try {
    check_mode(path, st.st_mode);
    const auto size = static_cast<uint64_t>(st.st_size);
    if (size > max_bytes) {
      fail(path, "is " + std::to_string(size) + " bytes, more than the " +
                     std::to_string(max_bytes) + " expected");
    }
    out.resize(static_cast<size_t>(size));
    size_t got = 0;
    while (got < out.size()) {
      const ssize_t n = ::read(fd, reinterpret_cast<char*>(out.data()) + got, out.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(path, std::string("cannot read file (") + std::strerror(errno) + ")");
      if (n == 0) fail(path, "file shrank while being read");
      got += static_cast<size_t>(n);
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
}

}  // namespace

void check_regular_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    fail(path, std::string("cannot open file (") + std::strerror(errno) + ")");
  check_mode(path, st.st_mode);
}

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  std::vector<uint8_t> out;
  read_into(path, max_bytes, out);
  return out;
}

std::string read_file_text(const std::string& path, uint64_t max_bytes) {
  std::string out;
  read_into(path, max_bytes, out);
  return out;
}

}  // namespace intershape::core::formats
