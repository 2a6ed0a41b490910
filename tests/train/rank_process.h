#pragma once
// Test helper: starts `intershape train` processes as a launcher would (the
// rank variables in their environment, output to a log file), waits for them
// with a deadline, and finds a free loopback port for the rendezvous.

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace intershape::test {

// A port the kernel just handed out on 127.0.0.1 (free a moment ago; the
// rendezvous binds it right after, as torchrun's own free-port choice does).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  ::close(fd);
  return port;
}

class RankProcess {
 public:
  // Starts argv[0] with this process's environment minus any launcher
  // variables, plus `env` ("NAME=value"); stdout and stderr go to `log_path`.
  RankProcess(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              const std::string& log_path)
      : log_path_(log_path) {
    std::vector<std::string> vars;
    for (char** e = environ; *e; ++e) {
      const std::string v = *e;
      const bool launcher = v.rfind("RANK=", 0) == 0 || v.rfind("WORLD_SIZE=", 0) == 0 ||
                            v.rfind("LOCAL_RANK=", 0) == 0 || v.rfind("MASTER_", 0) == 0 ||
                            v.rfind("SLURM_", 0) == 0 || v.rfind("INTERSHAPE_TEST_", 0) == 0;
      if (!launcher) vars.push_back(v);
    }
    vars.insert(vars.end(), env.begin(), env.end());
    std::vector<char*> args, envp;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const std::string& v : vars) envp.push_back(const_cast<char*>(v.c_str()));
    envp.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
  }
  ~RankProcess() { kill(); }
  RankProcess(const RankProcess&) = delete;
  RankProcess& operator=(const RankProcess&) = delete;

  bool started() const { return pid_ > 0; }
  // The exit status (128 + signal when killed by one), or nullopt if still
  // running after `seconds`.
  std::optional<int> wait(double seconds) {
    if (status_) return status_;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
      int st = 0;
      const pid_t r = ::waitpid(pid_, &st, WNOHANG);
      if (r == pid_) {
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        return status_;
      }
      if (r < 0 || std::chrono::steady_clock::now() >= deadline) return std::nullopt;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  void kill() {
    if (pid_ > 0 && !status_) {
      ::kill(pid_, SIGKILL);
      wait(10);
    }
  }
  std::string log() const {
    std::string out;
    if (FILE* f = std::fopen(log_path_.c_str(), "rb")) {
      char buf[4096];
      size_t n;
      while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
      std::fclose(f);
    }
    return out;
  }

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

}  // namespace intershape::test
