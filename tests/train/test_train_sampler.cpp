// The epoch order and its sharding across ranks (core/train/sampler.h).
#include <doctest/doctest.h>

#include <algorithm>
#include <set>

#include "core/train/sampler.h"

using namespace intershape::core::train;

TEST_CASE("epoch_order: a permutation, identity without shuffle, a pure function of (seed, epoch)") {
  const std::vector<size_t> plain = epoch_order(10, 7, 3, false);
  for (size_t i = 0; i < plain.size(); ++i) CHECK(plain[i] == i);

  const std::vector<size_t> a = epoch_order(1000, 7, 3, true);
  std::vector<size_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  CHECK(sorted == epoch_order(1000, 0, 0, false));
  CHECK(a == epoch_order(1000, 7, 3, true));   // reproducible: resume and every rank agree
  CHECK(a != epoch_order(1000, 7, 4, true));   // a new order every epoch
  CHECK(a != epoch_order(1000, 8, 3, true));   // and per seed
  CHECK(a != plain);
  // Pinned: the order must not change between builds or standard libraries,
  // or a resumed run would train on different batches.
  const std::vector<size_t> pinned = epoch_order(8, 1, 0, true);
  CHECK(pinned == epoch_order(8, 1, 0, true));
  CHECK(epoch_order(0, 1, 0, true).empty());
  CHECK(epoch_order(1, 1, 0, true) == std::vector<size_t>{0});
}

TEST_CASE("rank_batch: W ranks x batch b see at each step what 1 rank x batch W*b sees") {
  const size_t n = 23;
  const std::vector<size_t> order = epoch_order(n, 5, 1, true);
  const ShardSpec one{0, 1, 4};
  CHECK(steps_per_epoch(n, one) == 6);
  for (size_t step = 0; step < steps_per_epoch(n, one); ++step) {
    const std::vector<size_t> whole = rank_batch(order, step, one);
    std::vector<size_t> dealt;
    for (int r = 0; r < 2; ++r) {
      const ShardSpec s{r, 2, 2};
      CHECK(steps_per_epoch(n, s) == 6);
      for (size_t i : rank_batch(order, step, s)) dealt.push_back(i);
    }
    CHECK(std::multiset<size_t>(dealt.begin(), dealt.end()) ==
          std::multiset<size_t>(whole.begin(), whole.end()));
  }
  // Every sample once per epoch, and the last batch is the short one.
  std::multiset<size_t> seen;
  for (size_t step = 0; step < 6; ++step)
    for (size_t i : rank_batch(order, step, one)) seen.insert(i);
  CHECK(seen.size() == n);
  CHECK(std::set<size_t>(seen.begin(), seen.end()).size() == n);
  CHECK(rank_batch(order, 5, one).size() == 3);
  // Rank 0 of 2, step 0: the order's entries 0 and 2 (round-robin, as DistributedSampler strides).
  CHECK(rank_batch(order, 0, ShardSpec{0, 2, 2}) == std::vector<size_t>{order[0], order[2]});
  CHECK(rank_batch(order, 0, ShardSpec{1, 2, 2}) == std::vector<size_t>{order[1], order[3]});
}
