#include "switchboard/core/route_metrics.hpp"

#include <algorithm>
#include <numeric>

namespace switchboard::core {

std::string_view outcome_name(size_t outcome) noexcept {
  if (outcome == outcome_ok)
    return "ok";
  if (outcome >= outcome_count)
    return {};
  return to_string(static_cast<error_code>(outcome));
}

uint64_t route_stats::requests() const noexcept {
  return std::accumulate(outcomes.begin(), outcomes.end(), uint64_t{0});
}

uint64_t route_stats::errors() const noexcept {
  return requests() - (outcomes.empty() ? 0 : outcomes[outcome_ok]);
}

uint64_t route_stats::timed() const noexcept {
  return std::accumulate(buckets.begin(), buckets.end(), uint64_t{0});
}

int64_t route_stats::quantile_ns(double q) const noexcept {
  auto total = timed();
  if (total == 0 || q <= 0)
    return 0;
  // The rank of the quantile among the timed requests, 1-based.
  auto rank = std::max(1.0, q * static_cast<double>(total));
  double seen = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    auto n = static_cast<double>(buckets[i]);
    if (n > 0 && seen + n >= rank) {
      if (i >= latency_bounds_ns.size())
        return latency_bounds_ns.back();
      auto lo = i == 0 ? 0.0 : static_cast<double>(latency_bounds_ns[i - 1]);
      auto hi = static_cast<double>(latency_bounds_ns[i]);
      return static_cast<int64_t>(lo + (hi - lo) * (rank - seen) / n);
    }
    seen += n;
  }
  return latency_bounds_ns.back();
}

} // namespace switchboard::core
