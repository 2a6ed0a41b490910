#pragma once
// Where this process stands in a data-parallel job, read from the variables
// that PyTorch-style launchers set: torchrun (`--no-python`), Kubernetes'
// PyTorchJob, or any script that exports them. No LibTorch.
//
//   RANK, WORLD_SIZE   this process's index and the number of processes;
//   LOCAL_RANK         its index on this machine (the GPU it takes); 0 if unset,
//                      as with one process per machine or pod;
//   MASTER_ADDR/PORT   where rank 0 serves the rendezvous store (TCPStore).
//
// Without RANK and WORLD_SIZE, Slurm's own SLURM_PROCID / SLURM_NTASKS /
// SLURM_LOCALID stand in for them (`srun intershape train ...`); MASTER_ADDR
// and MASTER_PORT are still needed then (README "Train and fine-tune").
// Neither set, or a world of 1: a single process, no rendezvous.

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace intershape::core::train {

// A missing, malformed or inconsistent variable, named with its value.
class LaunchEnvError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LaunchEnv {
  int rank = 0;
  int world = 1;
  int local_rank = 0;
  std::string master_addr;  // set when world > 1
  int master_port = 0;      // 1..65535 when world > 1
  std::string source;       // "torch" (RANK/WORLD_SIZE), "slurm", or "" (single process)
  bool distributed() const { return world > 1; }
};

// Reads the variables through `get` (std::getenv in the app; a map in tests),
// which returns nullopt for an unset variable. Throws LaunchEnvError.
LaunchEnv parse_launch_env(const std::function<std::optional<std::string>(const char*)>& get);

// "cuda" becomes "cuda:LOCAL_RANK" in a distributed run (one GPU per process);
// any other device string, including an explicit "cuda:N", is kept.
std::string device_for_rank(const std::string& device, const LaunchEnv& env);

}  // namespace intershape::core::train
