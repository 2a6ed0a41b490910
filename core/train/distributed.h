#pragma once
// Data-parallel training through torch.distributed's own C++ process groups
// (c10d): one process per rank, a TCPStore rendezvous served by rank 0, Gloo
// on CPU, NCCL on CUDA. What DistributedDataParallel does for the reference's
// training, written out for our step:
//   - rank 0's weights and buffers are broadcast once, at the start;
//   - after backward, each optimised parameter's gradient becomes the
//     job-wide per-sample mean (each rank's mean weighted by its sample
//     count, which equals one process on the whole batch, since every loss
//     term is a per-sample mean);
//   - BatchNorm statistics stay per rank (DDP's and DataParallel's semantics;
//     rank 0's running statistics are the ones saved; README).
//
// Built when LibTorch ships c10d with Gloo (CMake's INTERSHAPE_HAVE_C10D_GLOO),
// NCCL only when it ships ProcessGroupNCCL. Not built: join() throws
// DistributedError saying so. The collectives' timeout bounds every wait: a
// rank that dies or stops answering makes the others throw DistributedError
// ("rank R: lost contact with the job: ...") instead of hanging.
//
// Thread: one thread (the training loop) uses a group. LibTorch stays out of
// this header: tensors are passed as at::Tensor references, declared only.

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace at {
class Tensor;
}

namespace intershape::core::train {

class DistributedError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which backends this build has: "gloo", "gloo, nccl", or "" (none).
std::string distributed_backends();

struct JoinOptions {
  int rank = 0;
  int world = 1;
  std::string master_addr;  // rank 0 listens on master_port, the others connect there
  int master_port = 0;
  int cuda_device = -1;        // >= 0: NCCL, tensors on cuda:<cuda_device>; else Gloo on CPU
  std::string gloo_interface;  // network interface for Gloo (GLOO_SOCKET_IFNAME); "": the
                               // address this host's name resolves to, else loopback
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
};

class DataParallelGroup {
 public:
  // Rendezvous of all ranks (blocks until every rank has joined or the
  // timeout passes), then the process group. Throws DistributedError.
  static std::unique_ptr<DataParallelGroup> join(const JoinOptions& options);
  ~DataParallelGroup();
  DataParallelGroup(const DataParallelGroup&) = delete;
  DataParallelGroup& operator=(const DataParallelGroup&) = delete;

  int rank() const;
  int world() const;

  // Overwrites every rank's tensors with rank 0's (in place; contiguous
  // tensors on the group's device, any dtype the backend sends).
  void broadcast_from_rank0(const std::vector<at::Tensor>& tensors);

  // Replaces each parameter's gradient with sum_r(n_r * g_r) / sum_r(n_r),
  // n_r = `samples` of rank r (0 for a rank whose shard of the step is
  // empty). A gradient undefined on a rank (no sample, or no path to the loss)
  // counts as zeros there; a parameter with no gradient on any rank keeps
  // none, so Adam skips it everywhere as it would in one process.
  void average_gradients(const std::vector<at::Tensor>& params, int64_t samples);

  // The same weighted mean for per-rank scalar means (the logged loss terms):
  // `values` in, job-wide values out. Returns the job's total sample count.
  int64_t average_values(std::vector<double>& values, int64_t samples);

 private:
  struct Impl;
  explicit DataParallelGroup(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

class TwoHandNetImpl;

// Rank 0's weights and BatchNorm statistics, broadcast to every rank at the
// start (what DDP does when it wraps a model). The MANO model is checked
// instead: a rank whose MANO buffers differ from rank 0's (other files on
// another machine) throws DistributedError, since its MANO layers would not
// follow a broadcast.
void share_initial_state(DataParallelGroup& group, TwoHandNetImpl& net);

}  // namespace intershape::core::train
