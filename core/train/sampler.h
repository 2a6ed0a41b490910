#pragma once
// Which samples each step of an epoch trains on, for one process or for each
// rank of a data-parallel job. A pure function of (dataset size, seed, epoch),
// so a resumed run and every rank compute the same order with no state to
// save or exchange. No LibTorch.
//
// The layout is torch.utils.data.DistributedSampler's (drop_last=False): the
// epoch's order is padded by wrapping to a multiple of the world size, rank r
// takes every world-th entry starting at r, and batches are consecutive runs
// of that shard. With world = 1 it is the plain shuffled order. So that
// W ranks x batch b see, at each step, exactly the samples that 1 rank x batch
// W*b sees (same set, interleaved), each global batch is drawn as one block of
// the order and then dealt out round-robin (global_batch()).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace intershape::core::train {

// A permutation of 0..n-1: identity without shuffle, otherwise a Fisher-Yates
// shuffle driven by SplitMix64 of (seed, epoch), written out so that the order
// does not depend on the standard library's std::shuffle.
std::vector<size_t> epoch_order(size_t n, uint64_t seed, int epoch, bool shuffle);

struct ShardSpec {
  int rank = 0;
  int world = 1;
  size_t batch = 1;  // per rank
};

// Steps in one epoch: ceil(n / (batch * world)); the last global batch may be
// short (the reference's DataLoader keeps it, drop_last=False).
size_t steps_per_epoch(size_t n, const ShardSpec& s);

// The samples rank s.rank trains on at `step` of an epoch whose order is
// `order`: global batch `step` is order[step*B*W, (step+1)*B*W) (B*W = global
// batch), dealt round-robin: rank r takes its entries r, r+W, r+2W, ... A
// short last batch gives some ranks fewer samples, possibly none.
std::vector<size_t> rank_batch(const std::vector<size_t>& order, size_t step, const ShardSpec& s);

}  // namespace intershape::core::train
