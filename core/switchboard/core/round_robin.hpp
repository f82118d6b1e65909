#pragma once

#include <atomic>

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// Hands requests to workers in turn: 0, 1, ..., n-1, 0, ...
///
/// One shared atomic counter; concurrent dispatchers each get a distinct
/// ticket, so the rotation stays fair under contention. Does not look at
/// load: a slow worker gets as many requests as a fast one.
class round_robin final : public policy {
public:
  size_t select(const pool_view& pool, uint64_t key) override;

  policy_kind kind() const noexcept override {
    return policy_kind::round_robin;
  }

private:
  std::atomic<uint64_t> next_{0};
};

} // namespace switchboard::core
