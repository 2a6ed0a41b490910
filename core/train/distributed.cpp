#include "core/train/distributed.h"

#include <ATen/ATen.h>

#include "core/net/architecture.h"
#include "core/train/model.h"

#if INTERSHAPE_HAVE_C10D_GLOO
// c10d's headers guard their backends with these (PyTorch's own build sets
// them); CMake defines them for this file only, where the check passed.
#include <c10/util/Exception.h>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if INTERSHAPE_HAVE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif
#endif

namespace intershape::core::train {

std::string distributed_backends() {
#if INTERSHAPE_HAVE_C10D_GLOO && INTERSHAPE_HAVE_C10D_NCCL
  return "gloo, nccl";
#elif INTERSHAPE_HAVE_C10D_GLOO
  return "gloo";
#else
  return "";
#endif
}

namespace {

// Collectives run on flat buffers of at most this size: few large messages
// (as DDP's 25 MB buckets) without doubling the memory of 141 M parameters.
constexpr int64_t kBucketBytes = 64 << 20;

// Calls op(flat) on consecutive runs of `tensors` of one dtype, flattened
// into one contiguous buffer of at most kBucketBytes (a larger tensor alone),
// and copies each result back into its tensors.
template <class Op>
void for_each_bucket(const std::vector<at::Tensor>& tensors, Op op) {
  size_t begin = 0;
  while (begin < tensors.size()) {
    size_t end = begin + 1;
    int64_t bytes = tensors[begin].nbytes();
    while (end < tensors.size() && tensors[end].scalar_type() == tensors[begin].scalar_type() &&
           bytes + static_cast<int64_t>(tensors[end].nbytes()) <= kBucketBytes)
      bytes += tensors[end++].nbytes();
    std::vector<at::Tensor> flat_parts;
    for (size_t i = begin; i < end; ++i) flat_parts.push_back(tensors[i].reshape({-1}));
    at::Tensor flat = at::cat(flat_parts);
    op(flat);
    int64_t offset = 0;
    for (size_t i = begin; i < end; ++i) {
      const int64_t n = tensors[i].numel();
      tensors[i].copy_(flat.narrow(0, offset, n).view_as(tensors[i]));
      offset += n;
    }
    begin = end;
  }
}

}  // namespace

#if INTERSHAPE_HAVE_C10D_GLOO

struct DataParallelGroup::Impl {
  JoinOptions options;
  at::Device device{at::kCPU};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
#if INTERSHAPE_HAVE_C10D_NCCL
  c10::intrusive_ptr<c10d::ProcessGroupNCCL> nccl;
#endif

  // Prefix of every failure after the rendezvous.
  std::string lost() const {
    return "rank " + std::to_string(options.rank) + " of " + std::to_string(options.world) +
           ": lost contact with the job (a rank stopped, crashed or cannot be reached; its own "
           "output says why; --dist-timeout " +
           std::to_string(options.timeout.count() / 1000) + " s): ";
  }

  // Starts a collective on whichever backend this group has and waits for
  // it; any failure (a closed connection, a timeout) becomes DistributedError.
  template <class Start>
  void run(Start start) {
    try {
      c10::intrusive_ptr<c10d::Work> work;
#if INTERSHAPE_HAVE_C10D_NCCL
      if (nccl) work = start(*nccl);
#endif
      if (gloo) work = start(*gloo);
      work->wait(options.timeout);
    } catch (const c10::Error& e) {
      throw DistributedError(lost() + e.what_without_backtrace());
    } catch (const std::exception& e) {
      throw DistributedError(lost() + e.what());
    }
  }

  void allreduce_sum(at::Tensor& flat) {
    run([&](auto& pg) {
      std::vector<at::Tensor> one{flat};
      return pg.allreduce(one, c10d::AllreduceOptions());
    });
  }
};

std::unique_ptr<DataParallelGroup> DataParallelGroup::join(const JoinOptions& o) {
  auto impl = std::make_unique<Impl>();
  impl->options = o;
  const std::string where = o.master_addr + ":" + std::to_string(o.master_port);
  try {
    // Rank 0 serves the store and waits for the others to connect; the
    // others retry connecting until the timeout.
    c10d::TCPStoreOptions so;
    so.port = static_cast<std::uint16_t>(o.master_port);
    so.isServer = o.rank == 0;
    so.numWorkers = static_cast<std::size_t>(o.world);
    so.waitWorkers = true;
    so.timeout = o.timeout;
    impl->store = c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
    if (o.cuda_device >= 0) {
#if INTERSHAPE_HAVE_C10D_NCCL
      impl->device = at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(o.cuda_device));
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = o.timeout;
      impl->nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl->store, o.rank, o.world, opts);
#else
      throw DistributedError(
          "this build has no NCCL (LibTorch without c10d's ProcessGroupNCCL): data-parallel "
          "training on CUDA is not available; use --device cpu (Gloo)");
#endif
    } else {
      auto opts = c10d::ProcessGroupGloo::Options::create(o.timeout);
      opts->devices.push_back(
          o.gloo_interface.empty()
              ? c10d::ProcessGroupGloo::createDefaultDevice()
              : c10d::ProcessGroupGloo::createDeviceForInterface(o.gloo_interface));
      impl->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(impl->store, o.rank, o.world, opts);
    }
  } catch (const DistributedError&) {
    throw;
  } catch (const c10::Error& e) {
    throw DistributedError("rank " + std::to_string(o.rank) + ": cannot join the job at " + where +
                           ": " + e.what_without_backtrace());
  } catch (const std::exception& e) {
    throw DistributedError("rank " + std::to_string(o.rank) + ": cannot join the job at " + where +
                           ": " + e.what());
  }
  return std::unique_ptr<DataParallelGroup>(new DataParallelGroup(std::move(impl)));
}

void DataParallelGroup::broadcast_from_rank0(const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  for_each_bucket(tensors, [&](at::Tensor& flat) {
    impl_->run([&](auto& pg) {
      std::vector<at::Tensor> one{flat};
      c10d::BroadcastOptions bo;
      bo.rootRank = 0;
      return pg.broadcast(one, bo);
    });
  });
}

#else  // no c10d

struct DataParallelGroup::Impl {
  JoinOptions options;
  at::Device device{at::kCPU};
  void allreduce_sum(at::Tensor&) {}
};

std::unique_ptr<DataParallelGroup> DataParallelGroup::join(const JoinOptions&) {
  throw DistributedError(
      "this build has no data-parallel training: LibTorch's c10d (Gloo) headers were not found "
      "at configure time (Debian: install libgloo-dev and reconfigure); run one process "
      "(WORLD_SIZE unset or 1)");
}

void DataParallelGroup::broadcast_from_rank0(const std::vector<at::Tensor>&) {}

#endif

DataParallelGroup::DataParallelGroup(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataParallelGroup::~DataParallelGroup() = default;
int DataParallelGroup::rank() const { return impl_->options.rank; }
int DataParallelGroup::world() const { return impl_->options.world; }

void DataParallelGroup::average_gradients(const std::vector<at::Tensor>& params, int64_t samples) {
  at::NoGradGuard no_grad;
  // One small all-reduce first: which gradients exist anywhere, and the
  // job's sample count (float64 counts are exact).
  const int64_t n = static_cast<int64_t>(params.size());
  at::Tensor meta = at::zeros({n + 1}, at::TensorOptions().dtype(at::kDouble));
  auto m = meta.accessor<double, 1>();
  for (int64_t i = 0; i < n; ++i) m[i] = params[i].grad().defined() ? 1 : 0;
  m[n] = static_cast<double>(samples);
  at::Tensor meta_dev = meta.to(impl_->device);
  impl_->allreduce_sum(meta_dev);
  meta = meta_dev.cpu();
  auto total = meta.accessor<double, 1>();
  if (total[n] <= 0) throw DistributedError("no rank had a sample in this step");

  // Each rank's mean gradient, pre-scaled by its share of the samples, then
  // summed: the job's per-sample mean.
  const double share = static_cast<double>(samples) / total[n];
  std::vector<at::Tensor> grads;
  for (int64_t i = 0; i < n; ++i) {
    if (total[i] == 0) continue;
    at::Tensor p = params[i];
    if (!p.grad().defined()) p.mutable_grad() = at::zeros_like(p);
    grads.push_back(p.mutable_grad());
    grads.back().mul_(share);
  }
  for_each_bucket(grads, [&](at::Tensor& flat) { impl_->allreduce_sum(flat); });
}

int64_t DataParallelGroup::average_values(std::vector<double>& values, int64_t samples) {
  const int64_t n = static_cast<int64_t>(values.size());
  at::Tensor t = at::zeros({n + 1}, at::TensorOptions().dtype(at::kDouble));
  auto a = t.accessor<double, 1>();
  for (int64_t i = 0; i < n; ++i) a[i] = values[i] * static_cast<double>(samples);
  a[n] = static_cast<double>(samples);
  at::Tensor dev = t.to(impl_->device);
  impl_->allreduce_sum(dev);
  t = dev.cpu();
  auto r = t.accessor<double, 1>();
  for (int64_t i = 0; i < n; ++i) values[i] = r[n] > 0 ? r[i] / r[n] : 0;
  return static_cast<int64_t>(r[n]);
}

void share_initial_state(DataParallelGroup& group, TwoHandNetImpl& net) {
  std::vector<at::Tensor> tensors, mano_before, mano_after;
  for (auto& [key, t] : net.state_dict_entries()) {
    tensors.push_back(t);
    for (const core::net::ParamSpec& s : core::net::expected_state_dict())
      if (s.key == key && s.role == core::net::ParamRole::kManoBuffer) {
        mano_before.push_back(t.detach().clone());
        mano_after.push_back(t);
      }
  }
  group.broadcast_from_rank0(tensors);
  for (size_t i = 0; i < mano_before.size(); ++i)
    if (!at::equal(mano_before[i], mano_after[i]))
      throw DistributedError("rank " + std::to_string(group.rank()) +
                             ": its MANO model differs from rank 0's (give every rank the same "
                             "--mano files or --init checkpoint)");
}

}  // namespace intershape::core::train
