// A plugin for `switchboard serve`: `plugin = ".../libhello_plugin.so"` in a
// [[route]] serves that route with the handler below.

#include "switchboard/daemon/plugin.hpp"

extern "C" void switchboard_plugin_init(switchboard::daemon::plugin_context& ctx) {
  ctx.add(ctx.name(), [](std::string who) { return "hello, " + who; });
}
