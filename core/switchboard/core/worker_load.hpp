#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

namespace switchboard::core {

/// Live counters of one worker, shared by everyone who dispatches to it.
///
/// Dispatchers increment `in_flight` when they send a request to the worker;
/// the worker decrements it when it replies. Padded to a cache line so that
/// neighbouring workers do not share one. Relaxed atomics: the counts steer
/// load balancing and reports, they never guard memory.
struct alignas(64) worker_load {
  std::atomic<int64_t> in_flight{0};
  std::atomic<uint64_t> completed{0};
  std::atomic<uint64_t> failed{0};
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
