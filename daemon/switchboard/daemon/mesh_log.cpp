#include "switchboard/daemon/mesh_log.hpp"

#include <string_view>

namespace switchboard::daemon {

namespace {

bool starts_with(std::string_view x, std::string_view prefix) {
  return x.substr(0, prefix.size()) == prefix;
}

bool contains(std::string_view x, std::string_view part) {
  return x.find(part) != std::string_view::npos;
}

} // namespace

std::function<void(const std::string&)>
mesh_log_sink(std::shared_ptr<logger> log) {
  return [log](const std::string& line) {
    std::string_view x{line};
    constexpr std::string_view transport = "transport: ";
    if (starts_with(x, "refused ")) {
      log->refused("front door", x, {{"component", "front door"}});
    } else if (starts_with(x, transport)) {
      x.remove_prefix(transport.size());
      if (starts_with(x, "closed connection from "))
        log->refused("transport", x, {{"component", "transport"}});
      else
        log->warn(x, {{"component", "transport"}});
    } else if (contains(x, " unreachable: ") || contains(x, "' down: ")) {
      log->warn(x, {{"component", "mesh"}});
    } else {
      log->info(x, {{"component", "mesh"}});
    }
  };
}

} // namespace switchboard::daemon
