#pragma once

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// Sends equal keys to the same worker while the pool size is unchanged.
///
/// Uses jump consistent hashing (Lamping and Veach, 2014): stateless, O(log
/// n), and when the pool grows from n to n+1 workers only about 1/(n+1) of
/// the keys move. A worker restarted in place keeps its index, so its keys
/// stay with it. The key comes from the request (see `route_options`).
class consistent_hash final : public policy {
public:
  size_t select(const pool_view& pool, uint64_t key) override;

  policy_kind kind() const noexcept override {
    return policy_kind::consistent_hash;
  }

  /// The bucket in `[0, buckets)` for `key` (0 when `buckets` is 0);
  /// exposed for tests.
  static size_t bucket(uint64_t key, size_t buckets) noexcept;
};

} // namespace switchboard::core
