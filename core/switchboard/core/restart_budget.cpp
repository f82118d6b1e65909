#include "switchboard/core/restart_budget.hpp"

namespace switchboard::core {

void restart_budget::expire(clock::time_point now) {
  while (!restarts_.empty() && now - restarts_.front() >= window_)
    restarts_.pop_front();
}

bool restart_budget::try_restart(clock::time_point now) {
  expire(now);
  if (restarts_.size() >= max_)
    return false;
  restarts_.push_back(now);
  return true;
}

size_t restart_budget::used(clock::time_point now) {
  expire(now);
  return restarts_.size();
}

} // namespace switchboard::core
