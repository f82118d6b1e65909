// Adds a route, calls it once from an actor, prints the reply.
#include <iostream>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/switchboard.hpp"

int main() {
  caf::actor_system_config cfg;
  switchboard::register_error_category(cfg);
  caf::actor_system sys{cfg};
  switchboard::router sb{sys};
  if (auto err = sb.add("twice", [](int32_t x) { return 2 * x; }))
    return 1;
  caf::scoped_actor waiter{sys};
  auto ref = sb.ref();
  auto dest = caf::actor{waiter};
  sys.spawn([ref, dest](caf::event_based_actor* self) {
    ref.call(self, "twice", int32_t{21})
      .then(
        [self, dest](int32_t x) {
          self->send(dest, x);
          self->quit();
        },
        [self, dest](caf::error&) {
          self->send(dest, int32_t{-1});
          self->quit();
        });
    return caf::behavior{[](caf::atom_value) {}};
  });
  int32_t result = 0;
  waiter->receive([&](int32_t x) { result = x; });
  std::cout << "twice(21) = " << result << std::endl;
  return result == 42 ? 0 : 1;
}
