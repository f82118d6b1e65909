#pragma once

#include <chrono>
#include <cstdint>

namespace switchboard::detail {

/// Times travel in messages as nanoseconds of the steady clock (CAF's actor
/// clock in 0.17 is the steady clock, so both agree within one process).
using steady = std::chrono::steady_clock;

inline int64_t to_ns(steady::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           t.time_since_epoch())
    .count();
}

inline int64_t to_ns(steady::duration d) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

inline steady::time_point from_ns(int64_t ns) {
  return steady::time_point{std::chrono::duration_cast<steady::duration>(
    std::chrono::nanoseconds{ns})};
}

} // namespace switchboard::detail
