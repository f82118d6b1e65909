// A test plugin that adds the routes its configured name lists: the name
// "a,b,a" adds routes "a", "b" and "a". "<empty>" stands for an empty name,
// "<newline>" for a name holding a line feed. Every route echoes.

#include <string>

#include "switchboard/daemon/plugin.hpp"

namespace {

std::string decode(const std::string& x) {
  if (x == "<empty>")
    return {};
  if (x == "<newline>")
    return "bad\nname";
  return x;
}

} // namespace

extern "C" void
switchboard_plugin_init(switchboard::daemon::plugin_context& ctx) {
  const auto& list = ctx.name();
  size_t start = 0;
  for (;;) {
    auto comma = list.find(',', start);
    ctx.add(decode(list.substr(start, comma - start)),
            [](std::string x) { return x; });
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
}
