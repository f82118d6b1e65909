#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "switchboard/core/worker_load.hpp"

namespace switchboard::core {

/// The routing policies a route can use.
enum class policy_kind : uint8_t {
  round_robin,
  random,
  least_loaded,
  consistent_hash,
  broadcast,
};

std::string_view to_string(policy_kind x) noexcept;

std::optional<policy_kind> parse_policy_kind(std::string_view name) noexcept;

/// Picks the worker of a pool that receives the next request.
///
/// Thread-safety: `select` is called concurrently from every thread that
/// dispatches to the route (the registry and every caller holding a route
/// handle), so implementations keep their mutable state in atomics or
/// thread-local storage. A policy never sees actors: it picks an index.
/// `broadcast` policies are not asked to select: they report `fan_out()`.
class policy {
public:
  virtual ~policy();

  /// Returns an index in `[0, pool.size)`; `pool.size` is never 0.
  /// `key` is the request's routing key (only `consistent_hash` reads it).
  virtual size_t select(const pool_view& pool, uint64_t key) = 0;

  /// Returns whether the route sends every request to every worker.
  virtual bool fan_out() const noexcept;

  virtual policy_kind kind() const noexcept = 0;
};

/// Creates a fresh policy of the given kind.
std::unique_ptr<policy> make_policy(policy_kind kind);

} // namespace switchboard::core
