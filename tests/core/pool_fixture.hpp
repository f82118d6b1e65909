#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "switchboard/core/worker_load.hpp"

namespace switchboard::core::test {

/// A pool of `n` worker counters and the `pool_view` a policy reads.
///
/// Owns the counters (which are not movable) and the array of pointers the
/// view points into; the fixture itself must not be moved once `view()` is
/// taken. Not thread-safe to mutate while a policy reads it, except through
/// the counters' atomics.
class pool_fixture {
public:
  explicit pool_fixture(size_t n) : loads_(new worker_load[n]), ptrs_(n) {
    for (size_t i = 0; i < n; ++i)
      ptrs_[i] = &loads_[i];
  }

  pool_fixture(const pool_fixture&) = delete;
  pool_fixture& operator=(const pool_fixture&) = delete;

  pool_view view() const noexcept {
    return pool_view{ptrs_.data(), ptrs_.size()};
  }

  /// Sets worker `i`'s in-flight count.
  void set_in_flight(size_t i, int64_t value) {
    loads_[i].in_flight.store(value, std::memory_order_relaxed);
  }

  size_t size() const noexcept {
    return ptrs_.size();
  }

private:
  std::unique_ptr<worker_load[]> loads_;
  std::vector<const worker_load*> ptrs_;
};

} // namespace switchboard::core::test
