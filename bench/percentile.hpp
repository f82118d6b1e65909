#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

/// The `q` quantile (0..1) of latencies in nanoseconds, in microseconds.
/// Reorders `ns` (nth_element); `ns` must not be empty.
inline double percentile_us(std::vector<uint32_t>& ns, double q) {
  auto k = static_cast<size_t>(q * static_cast<double>(ns.size() - 1));
  std::nth_element(ns.begin(), ns.begin() + static_cast<ptrdiff_t>(k),
                   ns.end());
  return static_cast<double>(ns[k]) / 1000.0;
}
