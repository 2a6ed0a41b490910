#include "core/train/precision.h"

#include <cmath>
#include <stdexcept>

#include <ATen/autocast_mode.h>
#include <torch/version.h>

// PyTorch 2.4 made the autocast calls device-generic and deprecated the
// per-device ones (pytorch/pytorch#124359); 1.13 has only the per-device ones.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define INTERSHAPE_AUTOCAST_DEVICE_API 1
#else
#define INTERSHAPE_AUTOCAST_DEVICE_API 0
#endif

namespace intershape::core::train {
namespace {

bool get_enabled(bool cuda) {
#if INTERSHAPE_AUTOCAST_DEVICE_API
  return at::autocast::is_autocast_enabled(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

void set_enabled(bool cuda, bool on) {
#if INTERSHAPE_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_enabled(cuda ? at::kCUDA : at::kCPU, on);
#else
  if (cuda)
    at::autocast::set_enabled(on);
  else
    at::autocast::set_cpu_enabled(on);
#endif
}

c10::ScalarType get_dtype(bool cuda) {
#if INTERSHAPE_AUTOCAST_DEVICE_API
  return at::autocast::get_autocast_dtype(cuda ? at::kCUDA : at::kCPU);
#else
  return cuda ? at::autocast::get_autocast_gpu_dtype() : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_dtype(bool cuda, c10::ScalarType dtype) {
#if INTERSHAPE_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_dtype(cuda ? at::kCUDA : at::kCPU, dtype);
#else
  if (cuda)
    at::autocast::set_autocast_gpu_dtype(dtype);
  else
    at::autocast::set_autocast_cpu_dtype(dtype);
#endif
}

}  // namespace

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  throw std::invalid_argument("unknown precision '" + name + "' (fp32, bf16 or fp16)");
}

const char* precision_name(Precision p) {
  switch (p) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    default:
      return "fp32";
  }
}

void check_precision(Precision p, const torch::Device& device) {
  if (p == Precision::kFp32) return;
  if (!device.is_cpu() && !device.is_cuda())
    throw std::invalid_argument(std::string("--precision ") + precision_name(p) +
                                " runs on cpu or cuda devices only, not " + device.str());
  if (p == Precision::kFp16 && device.is_cpu())
    throw std::invalid_argument(
        "--precision fp16 needs a CUDA device: LibTorch has no half-precision convolutions on "
        "the CPU (use bf16 there, or fp32)");
}

AutocastRegion::AutocastRegion(Precision p, const torch::Device& device) {
  if (p == Precision::kFp32) return;
  active_ = true;
  cuda_ = device.is_cuda();
  was_enabled_ = get_enabled(cuda_);
  previous_dtype_ = get_dtype(cuda_);
  set_dtype(cuda_, p == Precision::kBf16 ? c10::ScalarType::BFloat16 : c10::ScalarType::Half);
  set_enabled(cuda_, true);
  at::autocast::increment_nesting();
}

AutocastRegion::~AutocastRegion() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_enabled(cuda_, was_enabled_);
  set_dtype(cuda_, previous_dtype_);
}

NoAutocast::NoAutocast() : guard_(c10::autocast_dispatch_keyset) {}

bool autocast_enabled(const torch::Device& device) {
  // Inside NoAutocast the keys are excluded whatever the flag says.
  const c10::DispatchKey key =
      device.is_cuda() ? c10::DispatchKey::AutocastCUDA : c10::DispatchKey::AutocastCPU;
  return get_enabled(device.is_cuda()) && !c10::impl::tls_is_dispatch_key_excluded(key);
}

LossScaler::LossScaler(Options options) : options_(options), scale_(options.init_scale) {}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const {
  // float32, as GradScaler keeps its scale; a power of two stays exact.
  return loss * static_cast<float>(scale_);
}

bool LossScaler::unscale(const std::vector<torch::Tensor>& params) const {
  torch::NoGradGuard no_grad;
  // GradScaler computes the reciprocal in double and applies it as float32.
  const float inv = static_cast<float>(1.0 / scale_);
  std::vector<torch::Tensor> bad;
  for (const torch::Tensor& p : params) {
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    bad.push_back(torch::isfinite(g).logical_not().any());
  }
  // One host synchronisation for the whole set, as GradScaler's found_inf.
  return bad.empty() || !torch::stack(bad).any().item<bool>();
}

void LossScaler::update(bool finite) {
  if (!finite) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
    return;
  }
  if (++growth_tracker_ == options_.growth_interval) {
    scale_ *= options_.growth_factor;
    growth_tracker_ = 0;
  }
}

void LossScaler::set_state(double scale, int growth_tracker) {
  if (!(scale > 0) || !std::isfinite(scale) || growth_tracker < 0)
    throw std::invalid_argument("LossScaler: invalid saved state");
  scale_ = scale;
  growth_tracker_ = growth_tracker;
}

}  // namespace intershape::core::train
