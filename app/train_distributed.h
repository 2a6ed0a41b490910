#pragma once
// `intershape train` across processes: the launcher's environment read once
// here (the library takes plain options), and the test-only fault knob. No
// LibTorch. README "Train and fine-tune" documents the variables.

#include <cstdint>
#include <memory>
#include <string>

#include "core/train/distributed.h"
#include "core/train/launch_env.h"

namespace intershape::app {

// RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT, or Slurm's
// SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID. Throws
// core::train::LaunchEnvError (a usage error).
core::train::LaunchEnv launch_env_from_environment();

// nullptr for a single process; otherwise the rendezvous and the process
// group (NCCL when `device` is CUDA, Gloo on GLOO_SOCKET_IFNAME if set).
// `timeout_s` bounds the rendezvous and every collective. Throws
// core::train::DistributedError.
std::unique_ptr<core::train::DataParallelGroup> join_training_job(const core::train::LaunchEnv& env,
                                                                  const std::string& device,
                                                                  double timeout_s);

// For the tests of a failing rank: INTERSHAPE_TEST_FAULT="kill:R:S" makes
// rank R kill itself (SIGKILL, no clean-up, as a crash or an OOM kill) before
// step S (-1: right after joining, before the weights are shared);
// "stall:R:S" makes it stop answering instead (it sleeps until killed), as a
// hung or unreachable machine would. Unset: nothing.
void fault_for_test_if_asked(const core::train::LaunchEnv& env, int64_t step);

}  // namespace intershape::app
