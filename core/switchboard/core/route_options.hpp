#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "switchboard/core/policy.hpp"

namespace switchboard::core {

/// What a caller of a `broadcast` route receives.
enum class broadcast_reply : uint8_t {
  /// One reply holding every worker's answer, in pool order.
  all,
  /// The first answer to arrive; the others are discarded.
  first,
};

/// How a route runs: pool size, policy, deadlines, limits and supervision.
///
/// A plain value with the defaults a route gets when nothing is said.
struct route_options {
  /// Number of workers spawned for handler routes (ignored for routes made
  /// of existing actors, whose pool is the actors given).
  size_t workers = 1;

  policy_kind policy = policy_kind::round_robin;

  /// Default deadline of a call, measured from when the caller sends it.
  /// A call may override it.
  std::chrono::nanoseconds timeout = std::chrono::seconds{5};

  /// Requests in flight on the route above which new calls get `overloaded`.
  int64_t max_in_flight = 10000;

  /// The largest payload a call may carry, in bytes (see `payload_size`);
  /// a larger call gets `bad_request` before any handler runs. The default,
  /// 1 MiB, is the daemon's `[limits]` default.
  uint64_t max_payload = 1048576;

  /// For `consistent_hash`: the index of the argument that is the key.
  size_t hash_key = 0;

  /// For `broadcast`: whether the caller gets all replies or the first.
  broadcast_reply reply = broadcast_reply::all;

  /// Whether workers time every reply for the latency histogram of the
  /// route's metrics (one clock read per reply). Outcome counts are kept
  /// either way.
  bool timed = true;

  /// Whether a blocking caller (`caf::scoped_actor`, `caf::blocking_actor`,
  /// the daemon's HTTP front door) that wakes an idle worker runs it on its
  /// own thread, instead of waking a scheduler thread and sleeping until
  /// the reply wakes it again: two thread switches fewer per call. Only for
  /// handlers that return quickly and never wait (an asynchronous handler
  /// that defers qualifies): while the handler runs, the caller's deadline
  /// cannot fire, so a handler that hangs would hold that caller past it.
  /// Event-based callers, busy workers and fan-outs are not affected.
  bool caller_runs = false;

  /// Supervision: at most `max_restarts` worker restarts within
  /// `restart_window`; a worker that dies beyond that is not replaced.
  size_t max_restarts = 5;
  std::chrono::nanoseconds restart_window = std::chrono::seconds{10};
};

/// Returns an empty string if `x` is usable, else what is wrong with it.
std::string validate(const route_options& x);

} // namespace switchboard::core
