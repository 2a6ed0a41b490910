#include "app/train_distributed.h"

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include <unistd.h>

namespace intershape::app {

namespace tr = core::train;

namespace {

std::optional<std::string> env_var(const char* name) {
  const char* v = std::getenv(name);
  if (!v) return std::nullopt;
  return std::string(v);
}

}  // namespace

tr::LaunchEnv launch_env_from_environment() { return tr::parse_launch_env(env_var); }

std::unique_ptr<tr::DataParallelGroup> join_training_job(const tr::LaunchEnv& env,
                                                         const std::string& device,
                                                         double timeout_s) {
  if (!env.distributed()) return nullptr;
  tr::JoinOptions o;
  o.rank = env.rank;
  o.world = env.world;
  o.master_addr = env.master_addr;
  o.master_port = env.master_port;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000));
  if (device.rfind("cuda", 0) == 0) {
    const size_t colon = device.find(':');
    o.cuda_device = colon == std::string::npos ? 0 : std::atoi(device.c_str() + colon + 1);
    // NCCL reports a dead peer or a timeout only with its asynchronous error
    // handling on (PyTorch 2.x's default; 1.13 needs the older name); a user's
    // own setting wins. Untested here: no CUDA on our machines.
    setenv("TORCH_NCCL_ASYNC_ERROR_HANDLING", "1", 0);
    setenv("NCCL_ASYNC_ERROR_HANDLING", "1", 0);
  }
  if (std::optional<std::string> ifname = env_var("GLOO_SOCKET_IFNAME")) o.gloo_interface = *ifname;
  return tr::DataParallelGroup::join(o);
}

void fault_for_test_if_asked(const tr::LaunchEnv& env, int64_t step) {
  const std::optional<std::string> knob = env_var("INTERSHAPE_TEST_FAULT");
  if (!knob) return;
  char mode[8] = {};
  int rank = -1;
  long long at = 0;
  if (std::sscanf(knob->c_str(), "%7[a-z]:%d:%lld", mode, &rank, &at) != 3) return;
  if (rank != env.rank || at != step) return;
  std::fprintf(stderr, "intershape train: rank %d: %s for a test (INTERSHAPE_TEST_FAULT)\n",
               env.rank, mode);
  std::fflush(stderr);
  if (std::string(mode) == "kill") std::raise(SIGKILL);
  if (std::string(mode) == "stall")
    for (;;) pause();
}

}  // namespace intershape::app
