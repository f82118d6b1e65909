#include "switchboard/core/route_options.hpp"

namespace switchboard::core {

std::string validate(const route_options& x) {
  if (x.workers == 0)
    return "workers must be at least 1";
  if (x.timeout.count() <= 0)
    return "timeout must be positive";
  if (x.max_in_flight <= 0)
    return "max_in_flight must be at least 1";
  if (x.max_payload == 0)
    return "max_payload must be at least 1";
  if (x.policy == policy_kind::broadcast
      && x.max_in_flight < static_cast<int64_t>(x.workers))
    return "max_in_flight must be at least workers for a broadcast route "
           "(each call counts once per worker)";
  if (x.restart_window.count() <= 0)
    return "restart_window must be positive";
  return {};
}

} // namespace switchboard::core
