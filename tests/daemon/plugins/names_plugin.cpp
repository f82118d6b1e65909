// A test plugin that adds the routes its configured name lists: the name
// "a,b,a" adds routes "a", "b" and "a". "<empty>" stands for an empty name,
// "<newline>" for a name holding a line feed. Every route echoes, except
// that "<nohandler>" adds a route "nohandler" with an empty handler.

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
    auto name = list.substr(start, comma - start);
    if (name == "<nohandler>")
      ctx.add("nohandler", switchboard::handler{});
    else
      ctx.add(decode(name), [](std::string x) { return x; });
    if (comma == std::string::npos)
      break;
    start = comma + 1;
  }
}
