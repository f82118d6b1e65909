#pragma once

// A real actor system with a router, for daemon tests that need real
// threads (children, timers). Every wait is bounded by a route deadline.

#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/daemon/exec_handler.hpp"
#include "switchboard/switchboard.hpp"

namespace switchboard::test {

using namespace std::chrono_literals;

/// A real actor system with a router.
struct node {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::optional<router> sb;

  node() {
    cfg.set("scheduler.max-threads", 2);
    register_error_category(cfg);
    sys.emplace(cfg);
    sb.emplace(*sys);
  }

  ~node() {
    sb.reset();
  }

  caf::error add_exec(const std::string& name, daemon::exec_spec spec,
                      std::chrono::nanoseconds timeout = 5s,
                      size_t workers = 1) {
    core::route_options opts;
    opts.timeout = timeout;
    opts.workers = workers;
    return sb->add(name, daemon::exec_handler(std::move(spec)), opts);
  }

  /// Calls `route` with `payload` and waits for the one reply.
  caf::expected<std::string> call(const std::string& route,
                                  std::string payload) {
    caf::scoped_actor waiter{*sys};
    auto dest = caf::actor{waiter};
    auto ref = sb->ref();
    sys->spawn([=](caf::event_based_actor* self) {
      ref.call(self, route, payload)
        .then(
          [self, dest](std::string out) {
            self->send(dest, std::move(out));
            self->quit();
          },
          [self, dest](caf::error& err) {
            self->send(dest, err);
            self->quit();
          });
      return caf::behavior{[](int32_t) {}};
    });
    caf::expected<std::string> result{caf::error{}};
    waiter->receive([&](std::string& out) { result = std::move(out); },
                    [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

} // namespace switchboard::test
