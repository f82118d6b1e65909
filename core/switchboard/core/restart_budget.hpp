#pragma once

#include <chrono>
#include <cstddef>
#include <deque>

namespace switchboard::core {

/// Allows at most `max_restarts` restarts within any sliding `window`.
///
/// Owned by one supervisor; not thread-safe. Once exhausted it refuses until
/// old restarts age out of the window.
class restart_budget {
public:
  using clock = std::chrono::steady_clock;

  restart_budget(size_t max_restarts, clock::duration window)
    : max_(max_restarts), window_(window) {
    // nop
  }

  /// Records a restart at `now` and returns true if the budget allows it;
  /// returns false (recording nothing) if it is exhausted.
  bool try_restart(clock::time_point now);

  /// Restarts counted within the window ending at `now`.
  size_t used(clock::time_point now);

private:
  void expire(clock::time_point now);

  size_t max_;
  clock::duration window_;
  std::deque<clock::time_point> restarts_;
};

} // namespace switchboard::core
