#pragma once

#include <atomic>

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// Picks the worker with the fewest requests in flight.
///
/// Scans every worker's counter (O(n), pools are small). Ties go to the
/// first tied worker after a rotating start, so every idle worker gets work
/// instead of the first one taking it all (the split among tied workers is
/// not exactly even when busy workers sit between them). The counts are a
/// snapshot: two concurrent dispatchers may both pick the same idle worker.
class least_loaded final : public policy {
public:
  size_t select(const pool_view& pool, uint64_t key) override;

  policy_kind kind() const noexcept override {
    return policy_kind::least_loaded;
  }

private:
  std::atomic<uint64_t> start_{0};
};

} // namespace switchboard::core
