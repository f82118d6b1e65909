#pragma once

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// Sends every request to every worker of the pool.
///
/// The router collects the replies: the caller gets all of them, or only the
/// first, as `route_options::broadcast_reply` says. `select` is never asked
/// by the router; it returns 0 for callers that treat it like any policy.
class broadcast final : public policy {
public:
  size_t select(const pool_view& pool, uint64_t key) override;

  bool fan_out() const noexcept override;

  policy_kind kind() const noexcept override {
    return policy_kind::broadcast;
  }
};

} // namespace switchboard::core
