#pragma once
// Helpers shared by the export tests: temporary folders, reading files,
// running numpy on our files.

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace intershape::test {

// A fresh folder under the system temp dir, removed with its content at scope exit.
class TempDir {
 public:
  explicit TempDir(const std::string& tag = "export") {
    std::random_device rd;
    path_ = (std::filesystem::temp_directory_path() /
             ("intershape_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(rd())))
                .string();
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline std::string run_capture(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + command);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  if (status != 0) throw std::runtime_error("command failed (" + std::to_string(status) + "): " + command);
  return out;
}

// The arrays of an .npz as numpy reads them (see npz_to_json.py).
inline nlohmann::json load_npz_with_numpy(const std::string& path) {
  const std::string script = std::string(INTERSHAPE_SOURCE_DIR) + "/tests/export/npz_to_json.py";
  return nlohmann::json::parse(run_capture("/usr/bin/python3 '" + script + "' '" + path + "'"));
}

}  // namespace intershape::test
