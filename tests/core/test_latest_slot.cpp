#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "core/latest_slot.h"

using intershape::core::LatestSlot;

TEST_CASE("newest value wins and drops are counted") {
  LatestSlot<int> slot;
  CHECK_FALSE(slot.try_take().has_value());
  slot.put(1);
  slot.put(2);
  slot.put(3);
  CHECK(slot.drops() == 2);
  CHECK(slot.puts() == 3);
  auto v = slot.try_take();
  REQUIRE(v.has_value());
  CHECK(*v == 3);
  CHECK_FALSE(slot.try_take().has_value());  // taken: nothing new
  slot.put(4);
  CHECK(slot.drops() == 2);  // the previous value had been taken: no drop
  CHECK(*slot.try_take() == 4);
}

TEST_CASE("a waiter gets a value put from another thread") {
  LatestSlot<int> slot;
  std::thread producer([&] { slot.put(42); });
  auto v = slot.wait_take();
  producer.join();
  REQUIRE(v.has_value());
  CHECK(*v == 42);
}

TEST_CASE("close wakes a waiter for good and refuses later puts") {
  LatestSlot<int> slot;
  std::atomic<bool> woke{false};
  std::optional<int> got = 7;
  std::thread waiter([&] {
    got = slot.wait_take();
    woke = true;
  });
  slot.close();
  waiter.join();
  CHECK(woke);
  CHECK_FALSE(got.has_value());
  CHECK_FALSE(slot.put(5));
  CHECK_FALSE(slot.wait_take().has_value());  // closed: returns at once
}

TEST_CASE("interrupt wakes a waiter once without a value") {
  LatestSlot<int> slot;
  std::optional<int> got = 7;
  std::thread waiter([&] { got = slot.wait_take(); });
  // The interrupt may come before the waiter waits; then it would block, so
  // keep interrupting until it has returned (bounded by the join).
  std::atomic<bool> done{false};
  std::thread kicker([&] {
    while (!done) {
      slot.interrupt();
      std::this_thread::yield();
    }
  });
  waiter.join();
  done = true;
  kicker.join();
  CHECK_FALSE(got.has_value());
  CHECK_FALSE(slot.closed());
  slot.put(1);
  CHECK(*slot.wait_take() == 1);
}

TEST_CASE("wait_empty returns once the consumer took the value") {
  LatestSlot<int> slot;
  slot.put(1);
  std::thread consumer([&] { CHECK(*slot.wait_take() == 1); });
  slot.wait_empty();
  consumer.join();
  CHECK_FALSE(slot.try_take().has_value());
  CHECK(slot.drops() == 0);
}

TEST_CASE("move-only payloads pass through") {
  LatestSlot<std::unique_ptr<int>> slot;
  slot.put(std::make_unique<int>(9));
  auto v = slot.try_take();
  REQUIRE(v.has_value());
  CHECK(**v == 9);
}
