#include "core/train/launch_env.h"

#include <cerrno>
#include <cstdlib>

namespace intershape::core::train {
namespace {

using Get = std::function<std::optional<std::string>(const char*)>;

// A whole decimal integer in [lo, hi]; anything else (empty, "2x", "-",
// overflow) names the variable and its value.
int parse_int(const char* name, const std::string& text, long lo, long hi) {
  errno = 0;
  char* end = nullptr;
  const long v = text.empty() ? 0 : std::strtol(text.c_str(), &end, 10);
  if (text.empty() || errno != 0 || end != text.c_str() + text.size() || v < lo || v > hi)
    throw LaunchEnvError(std::string(name) + "='" + text + "': expected a whole number from " +
                         std::to_string(lo) + " to " + std::to_string(hi));
  return static_cast<int>(v);
}

std::string required(const Get& get, const char* name, const std::string& why) {
  std::optional<std::string> v = get(name);
  if (!v || v->empty()) throw LaunchEnvError(std::string(name) + " is not set (" + why + ")");
  return *v;
}

}  // namespace

LaunchEnv parse_launch_env(const Get& get) {
  const char *rank_name = "RANK", *world_name = "WORLD_SIZE", *local_name = "LOCAL_RANK";
  LaunchEnv env;
  const bool torch_vars = get("RANK") || get("WORLD_SIZE");
  if (torch_vars) {
    env.source = "torch";
  } else if (get("SLURM_NTASKS")) {
    // srun starts one task per rank; its ids are the ranks.
    env.source = "slurm";
    rank_name = "SLURM_PROCID";
    world_name = "SLURM_NTASKS";
    local_name = "SLURM_LOCALID";
  } else {
    return env;
  }
  const std::string why =
      env.source == "torch" ? "RANK and WORLD_SIZE go together" : "srun sets it for every task";
  env.world = parse_int(world_name, required(get, world_name, why), 1, 1 << 20);
  env.rank = parse_int(rank_name, required(get, rank_name, why), 0, env.world - 1);
  if (std::optional<std::string> local = get(local_name); local && !local->empty())
    env.local_rank = parse_int(local_name, *local, 0, 1 << 20);
  if (!env.distributed()) return env;

  const std::string rendezvous =
      "rank 0's address for the rendezvous, needed when " + std::string(world_name) + " > 1";
  env.master_addr = required(get, "MASTER_ADDR", rendezvous);
  env.master_port = parse_int("MASTER_PORT", required(get, "MASTER_PORT", rendezvous), 1, 65535);
  return env;
}

std::string device_for_rank(const std::string& device, const LaunchEnv& env) {
  if (env.distributed() && device == "cuda") return "cuda:" + std::to_string(env.local_rank);
  return device;
}

}  // namespace intershape::core::train
