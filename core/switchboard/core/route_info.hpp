#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// A snapshot of one route, as `list` reports it.
struct route_info {
  std::string name;
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
};

} // namespace switchboard::core
