#pragma once
// Helpers shared by the export tests: temporary folders, reading files,
// running numpy on our files.

#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

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
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
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

// What a shell command printed on stdout (add " 2>&1" for stderr too) and its
// exit status (-1 when it did not exit normally).
struct CommandResult {
  int status = -1;
  std::string output;
};

inline CommandResult run_command(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen(command.c_str(), "r");
  if (!p) throw std::runtime_error("cannot run " + command);
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.output.append(buf, n);
  const int status = ::pclose(p);
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// The command's stdout; a command that fails is an exception.
inline std::string run_capture(const std::string& command) {
  CommandResult r = run_command(command);
  if (r.status != 0)
    throw std::runtime_error("command failed (" + std::to_string(r.status) + "): " + command);
  return r.output;
}

// Runs `body` in a forked child, so that what it changes for itself (a mount
// namespace, resource limits) never reaches the test process, and returns
// the text it returned (or "exception: ..." if it threw). The child leaves
// with _exit: no destructors, no doctest report. `exited` is false when the
// child did not exit normally (a crash).
inline std::string run_in_child(const std::function<std::string()>& body, bool* exited = nullptr) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  const pid_t child = ::fork();
  if (child < 0) throw std::runtime_error("fork failed");
  if (child == 0) {
    ::close(pipefd[0]);
    std::string report;
    try {
      report = body();
    } catch (const std::exception& e) {
      report = std::string("exception: ") + e.what();
    }
    (void)!::write(pipefd[1], report.data(), report.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string report;
  char buf[1024];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) report.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  if (exited) *exited = WIFEXITED(status);
  return report;
}

// In a child of run_in_child: mounts a tmpfs of `size` ("64k", "1m") on `dir`
// in a mount namespace of its own. False where that is not allowed (needs
// root or CAP_SYS_ADMIN).
inline bool mount_private_tmpfs(const std::string& dir, const std::string& size) {
  return ::unshare(CLONE_NEWNS) == 0 &&
         ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0 &&
         ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
}

// "a|b|c" -> {"a", "b", "c"}.
inline std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t p; (p = text.find(sep, start)) != std::string::npos; start = p + 1)
    parts.push_back(text.substr(start, p - start));
  parts.push_back(text.substr(start));
  return parts;
}

// The arrays of an .npz as numpy reads them (see npz_to_json.py).
inline nlohmann::json load_npz_with_numpy(const std::string& path) {
  const std::string script = std::string(INTERSHAPE_SOURCE_DIR) + "/tests/exporters/npz_to_json.py";
  return nlohmann::json::parse(run_capture("/usr/bin/python3 '" + script + "' '" + path + "'"));
}

}  // namespace intershape::test
