#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// A snapshot of one route, as `list` reports it.
struct route_info {
  std::string name;
  /// How the route handles requests: "function", "async", "exec", ...
  std::string kind;
  /// Live workers in the pool.
  size_t workers = 0;
  policy_kind policy = policy_kind::round_robin;
  /// Requests dispatched to the route and not yet answered.
  int64_t in_flight = 0;
  /// Requests answered with a value / with an error since the route was added.
  uint64_t completed = 0;
  uint64_t failed = 0;
  /// Worker restarts since the route was added.
  uint64_t restarts = 0;
  /// The node serving the route (comma-separated if several share it);
  /// empty for a router that is not in a mesh.
  std::string origin;
  /// For a route served elsewhere (`kind` "remote"): the peers calls go to,
  /// comma-separated. Empty for local routes.
  std::string via;
};

/// Lets CAF serialize a route_info (for `list` across the network).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_info& x) {
  return f(x.name, x.kind, x.workers, x.policy, x.in_flight, x.completed,
           x.failed, x.restarts, x.origin, x.via);
}

} // namespace switchboard::core
