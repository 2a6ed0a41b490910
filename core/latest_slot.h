#pragma once
// A one-value mailbox between two threads: the producer puts, the newest value
// wins, and a value that was never taken is counted as dropped. The consumer
// either waits (worker) or takes without waiting (renderer). close() wakes every
// waiter for good; interrupt() wakes them once (e.g. a reload request).
//
// Thread-safety: every member may be called from any thread. T must be cheap to
// move (we pass std::shared_ptr<const X>).

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <utility>

namespace intershape::core {

template <class T>
class LatestSlot {
 public:
  // Replaces the held value. A value that was not taken yet is dropped (counted).
  // After close() the value is discarded and false is returned.
  bool put(T value) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (closed_) return false;
      if (value_) ++drops_;
      value_ = std::move(value);
      ++puts_;
    }
    cv_.notify_all();
    if (on_put_) on_put_();
    return true;
  }

  // Called after each accepted put(), on the producer's thread and outside the
  // lock, so a consumer that sleeps on something else (the GUI on its window's
  // event queue) can be woken. Set it before any producer runs.
  void set_on_put(std::function<void()> on_put) { on_put_ = std::move(on_put); }

  // Non-blocking: the value if one arrived since the last take, else nullopt.
  std::optional<T> try_take() {
    std::lock_guard<std::mutex> lock(mutex_);
    return take_locked();
  }

  // Blocks until a value arrives, the slot is closed or interrupt() is called.
  // Returns nullopt in the last two cases.
  std::optional<T> wait_take() {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t seen = interrupts_;
    cv_.wait(lock, [&] { return value_.has_value() || closed_ || interrupts_ != seen; });
    return take_locked();
  }

  // As wait_take(), but gives up after `timeout` (the renderer uses it to pace
  // itself when the display does not throttle swaps).
  template <class Rep, class Period>
  std::optional<T> wait_take_for(std::chrono::duration<Rep, Period> timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    const uint64_t seen = interrupts_;
    cv_.wait_for(lock, timeout,
                 [&] { return value_.has_value() || closed_ || interrupts_ != seen; });
    return take_locked();
  }

  // Blocks until the held value has been taken (or the slot closes). Lets a
  // producer run lock-step with its consumer (every frame processed, no drops).
  void wait_empty() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [&] { return !value_.has_value() || closed_; });
  }

  // Wakes current waiters once without a value.
  void interrupt() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++interrupts_;
    }
    cv_.notify_all();
  }

  // Wakes all waiters for good; later puts are refused. Idempotent.
  void close() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      closed_ = true;
      value_.reset();
    }
    cv_.notify_all();
  }

  // Re-opens a closed slot (a new run of the engine), counters kept.
  void reopen() {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = false;
  }

  bool empty() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return !value_.has_value();
  }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return closed_;
  }
  uint64_t drops() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return drops_;
  }
  uint64_t puts() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return puts_;
  }

 private:
  std::optional<T> take_locked() {
    std::optional<T> out = std::move(value_);
    value_.reset();
    if (out) cv_.notify_all();  // wait_empty() waiters
    return out;
  }

  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::optional<T> value_;
  bool closed_ = false;
  uint64_t drops_ = 0;
  uint64_t puts_ = 0;
  uint64_t interrupts_ = 0;
  std::function<void()> on_put_;
};

}  // namespace intershape::core
