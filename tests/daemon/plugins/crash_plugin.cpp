// A test plugin whose route's worker stops itself on the payload "die"
// (the registry then restarts it within its budget) and echoes anything
// else.

#include <string>

#include <caf/event_based_actor.hpp>

#include "switchboard/daemon/plugin.hpp"

extern "C" void
switchboard_plugin_init(switchboard::daemon::plugin_context& ctx) {
  ctx.add(ctx.name(), switchboard::behavior_factory(
                        [](caf::event_based_actor* self) -> caf::behavior {
                          return {[self](const std::string& x) -> std::string {
                            if (x == "die")
                              self->quit(caf::exit_reason::user_shutdown);
                            return x;
                          }};
                        }));
}
