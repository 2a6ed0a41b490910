#pragma once
// Reading whole input files (MANO pkl, parameter JSON, session manifests) the
// one way: only regular files are accepted, so a folder, a FIFO or a device
// given by mistake is a clear error naming the path, never a huge allocation
// (a folder's "size" on ext4 is 2^63 - 1), a blocked read or a stray
// std::ios_base::failure. Any thread; no state.

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace intershape::core::formats {

// what() is "PATH: PROBLEM", e.g. "x/MANO_LEFT.pkl: is a folder, not a file".
class FileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws FileError unless `path` names an existing regular file (symbolic
// links followed): "cannot open file (No such file or directory)", "is a
// folder, not a file", "is not a regular file".
void check_regular_file(const std::string& path);

// The whole file. Throws FileError as check_regular_file does, and when the
// file cannot be read or is larger than max_bytes.
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes = UINT64_MAX);
std::string read_file_text(const std::string& path, uint64_t max_bytes = UINT64_MAX);

}  // namespace intershape::core::formats
