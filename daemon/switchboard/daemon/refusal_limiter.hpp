#pragma once

// How many refusal lines one source may log: a flood of refused
// connections must not flood the log.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace switchboard::daemon {

/// Lets at most `burst` refusals per `window` be logged and counts the
/// rest. A window opens at the first refusal after the previous one
/// ended; the refusals suppressed in it are taken (and reset) once it has
/// ended, to be logged as one line. So one source writes at most `burst` +
/// 1 lines per window, however many refusals arrive.
///
/// Plain arithmetic on the times it is given: no clock of its own, no
/// locking (the caller serializes).
class refusal_limiter {
public:
  using clock = std::chrono::steady_clock;

  static constexpr size_t default_burst = 10;
  static constexpr clock::duration default_window = std::chrono::seconds{10};

  explicit refusal_limiter(size_t burst = default_burst,
                           clock::duration window = default_window)
    : burst_(burst), window_(window) {
    // nop
  }

  /// Counts a refusal at `now`; true if it may be logged. Call
  /// `take_suppressed(now)` first, or a window that has ended is reported
  /// together with the next one.
  bool admit(clock::time_point now);

  /// The refusals suppressed in a window that has ended by `now` (with
  /// `all`: also in the window still open), reset to 0; 0 if none.
  uint64_t take_suppressed(clock::time_point now, bool all = false);

  clock::duration window() const {
    return window_;
  }

private:
  size_t burst_;
  clock::duration window_;
  std::optional<clock::time_point> opened_;
  size_t logged_ = 0;
  uint64_t suppressed_ = 0;
};

} // namespace switchboard::daemon
