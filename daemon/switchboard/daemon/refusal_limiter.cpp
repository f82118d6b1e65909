#include "switchboard/daemon/refusal_limiter.hpp"

namespace switchboard::daemon {

bool refusal_limiter::admit(clock::time_point now) {
  if (!opened_ || now - *opened_ >= window_) {
    opened_ = now;
    logged_ = 0;
  }
  if (logged_ < burst_) {
    ++logged_;
    return true;
  }
  ++suppressed_;
  return false;
}

uint64_t refusal_limiter::take_suppressed(clock::time_point now, bool all) {
  if (suppressed_ == 0 || !opened_)
    return 0;
  if (!all && now - *opened_ < window_)
    return 0;
  auto result = suppressed_;
  suppressed_ = 0;
  // The window that suppressed them is over: the next refusal opens one.
  opened_.reset();
  return result;
}

} // namespace switchboard::daemon
