// Must NOT compile with -Werror=unused-result: a call request dropped
// without `then` sends nothing, so discarding one is diagnosed.
#include <switchboard/switchboard.hpp>

void forget(switchboard::router_ref ref, caf::event_based_actor* self) {
#ifdef SWITCHBOARD_DISCARD
  ref.call(self, "echo", 1);
#else
  ref.call(self, "echo", 1).then([](int) {}, [](const caf::error&) {});
#endif
}
