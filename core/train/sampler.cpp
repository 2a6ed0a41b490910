#include "core/train/sampler.h"

#include <algorithm>

namespace intershape::core::train {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, bound), without modulo bias (Lemire's rejection).
uint64_t uniform_below(uint64_t& state, uint64_t bound) {
  const uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const unsigned __int128 m = static_cast<unsigned __int128>(splitmix64(state)) * bound;
    if (static_cast<uint64_t>(m) >= threshold) return static_cast<uint64_t>(m >> 64);
  }
}

}  // namespace

std::vector<size_t> epoch_order(size_t n, uint64_t seed, int epoch, bool shuffle) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  if (!shuffle || n < 2) return order;
  uint64_t state = seed ^ (0xD1B54A32D192ED03ull * (static_cast<uint64_t>(epoch) + 1));
  for (size_t i = n - 1; i > 0; --i) std::swap(order[i], order[uniform_below(state, i + 1)]);
  return order;
}

size_t steps_per_epoch(size_t n, const ShardSpec& s) {
  const size_t global = s.batch * static_cast<size_t>(std::max(s.world, 1));
  return global == 0 ? 0 : (n + global - 1) / global;
}

std::vector<size_t> rank_batch(const std::vector<size_t>& order, size_t step, const ShardSpec& s) {
  const size_t world = static_cast<size_t>(std::max(s.world, 1));
  const size_t begin = step * s.batch * world;
  const size_t end = std::min(order.size(), begin + s.batch * world);
  std::vector<size_t> out;
  for (size_t k = begin + static_cast<size_t>(s.rank); k < end; k += world) out.push_back(order[k]);
  return out;
}

}  // namespace intershape::core::train
