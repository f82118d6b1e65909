#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

namespace switchboard::daemon {

/// Watches the actors a node cannot run without (its registry, its front
/// door) and calls `on_down(what)` once, from a CAF thread, when the first
/// of them stops, with `what` naming it and why (e.g. "front door (killed)").
/// The daemon then exits non-zero instead of listening on as a zombie.
/// Returns the watchdog; send it an exit message before an orderly stop.
caf::actor
watch_essentials(caf::actor_system& sys,
                 std::vector<std::pair<std::string, caf::actor>> essentials,
                 std::function<void(const std::string&)> on_down);

} // namespace switchboard::daemon
