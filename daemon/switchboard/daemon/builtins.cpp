#include "switchboard/daemon/builtins.hpp"

#include <stdexcept>

#include <caf/make_message.hpp>

#include "switchboard/config/node_config.hpp"

namespace switchboard::daemon {

std::optional<handler> make_builtin(const std::string& name) {
  if (name == "echo")
    return make_handler([](std::string payload) { return payload; });
  if (name == "size")
    return make_handler(
      [](std::string payload) { return std::to_string(payload.size()); });
  if (name == "fail")
    return make_handler([](std::string payload) -> std::string {
      throw std::runtime_error(payload.empty() ? "fail" : payload);
    });
  if (name == "sleep")
    return make_handler([](responder<std::string> r, std::string payload) {
      // parse_duration refuses what would overflow the timer's clock.
      auto d = config::parse_duration(payload);
      if (!d) {
        r.deliver(make_error(error_code::bad_request,
                             "sleep expects a duration of at most 8760h: "
                               + config::duration_problem(payload)));
        return;
      }
      r.deliver_after(*d, "slept " + payload);
    });
  return std::nullopt;
}

std::vector<std::string> builtin_names() {
  return {"echo", "fail", "size", "sleep"};
}

} // namespace switchboard::daemon
