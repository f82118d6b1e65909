#include "switchboard/daemon/watchdog.hpp"

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include "switchboard/error.hpp"

namespace switchboard::daemon {

caf::actor
watch_essentials(caf::actor_system& sys,
                 std::vector<std::pair<std::string, caf::actor>> essentials,
                 std::function<void(const std::string&)> on_down) {
  return sys.spawn(
    [essentials = std::move(essentials),
     on_down = std::move(on_down)](caf::event_based_actor* self) {
      for (auto& [what, handle] : essentials)
        self->monitor(handle);
      self->set_down_handler([self, essentials, on_down](caf::down_msg& dm) {
        for (auto& [what, handle] : essentials)
          if (handle.address() == dm.source) {
            auto why = code_of(dm.reason) ? describe(dm.reason)
                                          : caf::to_string(dm.reason);
            on_down(what + " (" + why + ")");
            self->quit();
            return;
          }
      });
      return caf::behavior{[](caf::unit_t) {
        // nop: the watchdog only reacts to down messages
      }};
    });
}

} // namespace switchboard::daemon
