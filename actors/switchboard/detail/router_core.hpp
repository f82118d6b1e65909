#pragma once

#include <chrono>
#include <memory>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "switchboard/detail/route_state.hpp"

namespace switchboard::detail {

/// What every copy of a router shares: the system, the registry and the
/// published directory.
class router_core {
public:
  router_core(caf::actor_system& sys, caf::actor registry,
              std::shared_ptr<directory_cell> dir)
    : sys(&sys), registry(std::move(registry)), dir(std::move(dir)) {
    // nop
  }

  caf::actor_system* sys;
  caf::actor registry;
  std::shared_ptr<directory_cell> dir;
  /// Timeout of a call for a route the directory does not know (the
  /// registry answers `no_such_route` long before it matters).
  std::chrono::nanoseconds fallback_timeout = std::chrono::seconds{5};
};

} // namespace switchboard::detail
