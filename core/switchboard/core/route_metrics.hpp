#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/core/error_code.hpp"

namespace switchboard::core {

/// How one request to a route ended: `outcome_ok` (answered with a value)
/// or the `error_code` it was answered with, as an index.
inline constexpr size_t outcome_ok = 0;
inline constexpr size_t outcome_count
  = static_cast<size_t>(last_error_code) + 1;

constexpr size_t outcome_of(error_code x) noexcept {
  return static_cast<size_t>(x);
}

/// "ok" or the error code's name; empty for an index out of range.
std::string_view outcome_name(size_t outcome) noexcept;

/// Upper bounds (inclusive, in nanoseconds) of the latency histogram's
/// buckets, Prometheus' `le` values: 100 µs to 10 s. A last bucket, +Inf,
/// takes everything above.
inline constexpr std::array<int64_t, 16> latency_bounds_ns{
  100'000,       250'000,       500'000,       1'000'000,
  2'500'000,     5'000'000,     10'000'000,    25'000'000,
  50'000'000,    100'000'000,   250'000'000,   500'000'000,
  1'000'000'000, 2'500'000'000, 5'000'000'000, 10'000'000'000};
inline constexpr size_t bucket_count = latency_bounds_ns.size() + 1;

/// The bucket of a latency: the first whose bound is >= `ns`. A scan from
/// the first bucket, inline: calls within one process land in the first
/// few buckets, where this takes a handful of compares (a binary search
/// took about 45 instructions per call).
inline size_t bucket_of(int64_t ns) noexcept {
  size_t i = 0;
  while (i < latency_bounds_ns.size() && ns > latency_bounds_ns[i])
    ++i;
  return i;
}

/// What a route did since it was added: summed over its workers (live and
/// retired) and over the refusals made before any worker saw a request.
struct route_stats {
  std::string name;
  /// Requests answered, by outcome (index: `outcome_ok` or an error code).
  std::vector<uint64_t> outcomes = std::vector<uint64_t>(outcome_count);
  /// Latency (send to reply) of the requests a worker answered, per bucket
  /// (not cumulative); refusals at admission are not timed.
  std::vector<uint64_t> buckets = std::vector<uint64_t>(bucket_count);
  /// Sum of the timed latencies, in nanoseconds.
  int64_t latency_sum_ns = 0;
  /// Requests admitted and not answered yet.
  int64_t in_flight = 0;
  /// Worker restarts.
  uint64_t restarts = 0;

  /// Every request answered, whatever the outcome.
  uint64_t requests() const noexcept;

  /// Requests answered with an error.
  uint64_t errors() const noexcept;

  /// Requests timed (the histogram's count).
  uint64_t timed() const noexcept;

  /// The `q`-quantile (0 < q <= 1) of the timed latencies in nanoseconds,
  /// interpolated linearly within its bucket (the +Inf bucket reports the
  /// last finite bound); 0 if nothing was timed.
  int64_t quantile_ns(double q) const noexcept;
};

/// Lets CAF serialize route_stats (for `stats` across the network).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route_stats& x) {
  return f(x.name, x.outcomes, x.buckets, x.latency_sum_ns, x.in_flight,
           x.restarts);
}

} // namespace switchboard::core
