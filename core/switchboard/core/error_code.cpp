#include "switchboard/core/error_code.hpp"

namespace switchboard::core {

std::string_view to_string(error_code x) noexcept {
  switch (x) {
    case error_code::no_such_route:
      return "no_such_route";
    case error_code::no_worker:
      return "no_worker";
    case error_code::overloaded:
      return "overloaded";
    case error_code::timeout:
      return "timeout";
    case error_code::handler_failed:
      return "handler_failed";
    case error_code::worker_down:
      return "worker_down";
    case error_code::bad_request:
      return "bad_request";
    case error_code::node_down:
      return "node_down";
    case error_code::shutting_down:
      return "shutting_down";
    case error_code::forbidden:
      return "forbidden";
  }
  return "unknown";
}

std::optional<error_code> parse_error_code(std::string_view name) noexcept {
  for (auto i = static_cast<int>(first_error_code);
       i <= static_cast<int>(last_error_code); ++i) {
    auto code = static_cast<error_code>(i);
    if (to_string(code) == name)
      return code;
  }
  return std::nullopt;
}

} // namespace switchboard::core
