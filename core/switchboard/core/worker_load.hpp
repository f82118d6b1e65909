#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "switchboard/core/route_metrics.hpp"

namespace switchboard::core {

/// Live counters of one worker, shared by everyone who dispatches to it.
///
/// Dispatchers increment `in_flight` when they send a request to the worker;
/// the worker decrements it when it replies. Everything else has a single
/// writer, the worker, which bumps it with a relaxed load and store (no
/// locked instruction); readers on any thread sum the workers' counts.
/// Aligned to cache lines so that neighbouring workers do not share one.
/// Relaxed atomics: the counts steer load balancing and reports, they never
/// guard memory.
struct alignas(64) worker_load {
  std::atomic<int64_t> in_flight{0};
  /// Answers by outcome (`outcome_ok` or an error code).
  std::atomic<uint64_t> outcomes[outcome_count] = {};
  /// Latency histogram (see `latency_bounds_ns`) and its sum, in ns.
  std::atomic<uint64_t> buckets[bucket_count] = {};
  std::atomic<int64_t> latency_sum_ns{0};

  /// Worker only: counts one answer; `latency_ns` < 0 means not timed.
  void count(size_t outcome, int64_t latency_ns) noexcept {
    bump(outcomes[outcome]);
    if (latency_ns >= 0) {
      bump(buckets[bucket_of(latency_ns)]);
      latency_sum_ns.store(latency_sum_ns.load(std::memory_order_relaxed)
                             + latency_ns,
                           std::memory_order_relaxed);
    }
  }

  /// Answered with a value.
  uint64_t completed() const noexcept {
    return outcomes[outcome_ok].load(std::memory_order_relaxed);
  }

  /// Answered with an error.
  uint64_t failed() const noexcept {
    uint64_t result = 0;
    for (size_t i = 1; i < outcome_count; ++i)
      result += outcomes[i].load(std::memory_order_relaxed);
    return result;
  }

  /// Adds this worker's counts to `x`.
  void add_to(route_stats& x) const noexcept {
    for (size_t i = 0; i < outcome_count; ++i)
      x.outcomes[i] += outcomes[i].load(std::memory_order_relaxed);
    for (size_t i = 0; i < bucket_count; ++i)
      x.buckets[i] += buckets[i].load(std::memory_order_relaxed);
    x.latency_sum_ns += latency_sum_ns.load(std::memory_order_relaxed);
  }

private:
  static void bump(std::atomic<uint64_t>& x) noexcept {
    x.store(x.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
};

/// A read-only view on the loads of a pool's workers, in pool order.
struct pool_view {
  const worker_load* const* loads = nullptr;
  size_t size = 0;

  int64_t in_flight(size_t i) const noexcept {
    return loads[i]->in_flight.load(std::memory_order_relaxed);
  }
};

} // namespace switchboard::core
