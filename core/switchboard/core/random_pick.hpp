#pragma once

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// The `random` policy: picks a worker uniformly at random. (Not named
/// `random`, which would clash with POSIX `::random()`.)
///
/// Each thread draws from its own generator (xorshift, seeded per thread),
/// so concurrent dispatchers share no state. Not cryptographic.
class random_pick final : public policy {
public:
  size_t select(const pool_view& pool, uint64_t key) override;

  policy_kind kind() const noexcept override {
    return policy_kind::random;
  }
};

} // namespace switchboard::core
