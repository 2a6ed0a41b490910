#pragma once
// The deterministic weight rule of tests/data/parity/WEIGHTS.md: every float
// tensor of the state dict is a function of (SALT, key, shape, flat index).
// It gives the network weights without shipping a 565 MB file: the parity
// tests, `intershape bench --synthetic` and the GUI test use it. No LibTorch.

#include <cstdint>
#include <string>
#include <vector>

namespace intershape::core::net {

// FNV-1a 64 over the bytes of `text`.
uint64_t fnv1a64(const std::string& text);
// splitmix64 finaliser (the rule's step 3).
uint64_t splitmix64(uint64_t x);

enum class RuleKind { kManoParam, kBnRunningVar, kBnRunningMean, kBias, kBnWeight, kWeight };
const char* rule_kind_name(RuleKind kind);

// value = float32(a + b * v), v uniform in [-1, 1).
struct RuleParams {
  RuleKind kind = RuleKind::kWeight;
  double a = 0.0;
  double b = 0.0;  // always a float32 number
};

// (kind, a, b) for `key` (without `module.`) and `shape`. Throws
// std::invalid_argument for a key the rule does not cover (MANO buffers,
// num_batches_tracked).
RuleParams rule_params(const std::string& key, const std::vector<int64_t>& shape);

// Seed of a tensor: fnv1a64(salt + key).
uint64_t rule_seed(const std::string& salt, const std::string& key);

// The rule's value at flat index i, given the seed and (a, b).
float rule_value(uint64_t seed, const RuleParams& params, uint64_t i);

// Fills dst[0..count) with the values at flat indices first..first+count.
// Splitting a tensor into ranges gives the same values (for parallel fills).
void fill_rule_range(uint64_t seed, const RuleParams& params, uint64_t first, uint64_t count,
                     float* dst);

// The whole tensor: numel = prod(shape) values in C order.
std::vector<float> rule_tensor(const std::string& salt, const std::string& key,
                               const std::vector<int64_t>& shape);

}  // namespace intershape::core::net
