#pragma once

#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/timespan.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/call.hpp"
#include "switchboard/core/route_event.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/core/route_options.hpp"
#include "switchboard/error.hpp"
#include "switchboard/handler.hpp"
#include "switchboard/route_handle.hpp"

namespace switchboard {

/// Everything needed to create a route.
struct route_spec {
  std::string name;
  handler impl;
  core::route_options options;
};

/// A set of route changes applied by one registry message (see
/// `router_ref::apply`): a startup's routes or a reload's difference.
struct route_changes {
  /// Routes to remove, by name; applied first.
  std::vector<std::string> remove;
  /// Routes to add; applied second.
  std::vector<route_spec> add;
  /// Routes to replace; applied last.
  std::vector<route_spec> replace;
};

/// What `router_ref::apply` did with each entry of a `route_changes`:
/// one error per entry, at the same index, none where the entry applied.
struct route_changes_result {
  std::vector<caf::error> remove;
  std::vector<caf::error> add;
  std::vector<caf::error> replace;

  /// Returns whether every entry applied.
  bool ok() const;
};

/// A copyable, non-owning reference to a router: calls, resolution and
/// administration. Handlers that call other routes capture one of these.
///
/// The registry's message protocol, for actors that talk to it directly:
/// - `(sb_call, route, args...)` request -> the handler's result or error
/// - `(sb_add, route_spec)`, `(sb_replace, route_spec)` -> `()` or error
/// - `(sb_remove, route)` -> `()` or error
/// - `(sb_apply, route_changes)` -> `route_changes_result`
/// - `(sb_list)` -> `std::vector<core::route_info>` sorted by name
/// - `(sb_watch, actor)` / `(sb_unwatch, actor)`: the watcher gets
///   `(sb_event, core::route_event)` for every existing route (as `added`)
///   and then for every change
/// - `(sb_shutdown)` request -> `()` once every route drained
class router_ref {
public:
  /// A reference to no router; only assignment is valid on it.
  router_ref() = default;

  explicit router_ref(std::shared_ptr<detail::router_core> core)
    : core_(std::move(core)) {
    // nop
  }

  /// The registry actor.
  caf::actor registry() const;

  caf::actor_system& system() const;

  /// Calls a route by name from an event-based actor; see `call_request`.
  template <class... Ts>
  call_request call(caf::event_based_actor* self, std::string route,
                    Ts&&... xs) const {
    return call_request{self, *core_, std::move(route),
                        detail::pack(std::forward<Ts>(xs)...)};
  }

  /// Calls a route by name from a blocking actor; see
  /// `blocking_call_request`.
  template <class... Ts>
  blocking_call_request call(caf::blocking_actor* self, std::string route,
                             Ts&&... xs) const {
    return blocking_call_request{self, *core_, std::move(route),
                                 detail::pack(std::forward<Ts>(xs)...)};
  }

  /// Calls a route by name from a `caf::scoped_actor`; see
  /// `blocking_call_request`.
  template <class... Ts>
  blocking_call_request call(caf::scoped_actor& self, std::string route,
                             Ts&&... xs) const {
    return call(self.ptr(), std::move(route), std::forward<Ts>(xs)...);
  }

  /// Resolves a route name to a handle, without a round trip: reads the
  /// directory the registry publishes on every change. Fails with
  /// `no_such_route`.
  caf::expected<route_handle> resolve(const std::string& name) const;

  // -- blocking administration ------------------------------------------------
  // These wait for the registry's answer on a private blocking actor. Use
  // them from setup code and threads, not from inside an actor (send the
  // messages above instead).

  /// Adds a route; fails with `bad_request` if the name is taken or the
  /// options are invalid.
  caf::error add(std::string name, handler impl,
                 core::route_options options = {}) const;

  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, handler>>>
  caf::error add(std::string name, F fun,
                 core::route_options options = {}) const {
    return add(std::move(name), make_handler(std::move(fun)), options);
  }

  /// Replaces a route atomically: calls after this reach the new route,
  /// calls in flight on the old one finish there. Fails with
  /// `no_such_route` if there is nothing to replace.
  caf::error replace(std::string name, handler impl,
                     core::route_options options = {}) const;

  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, handler>>>
  caf::error replace(std::string name, F fun,
                     core::route_options options = {}) const {
    return replace(std::move(name), make_handler(std::move(fun)), options);
  }

  /// Removes a route: in-flight requests finish, later calls get
  /// `no_such_route`.
  caf::error remove(const std::string& name) const;

  /// Applies many changes at once: removals, then additions, then
  /// replacements, each in the order given, with one directory publish and
  /// one event per changed route to watchers (startup and reload of
  /// thousands of routes cost linear time, not quadratic).
  ///
  /// Each entry applies whole or not at all, with the error `add`, `remove`
  /// or `replace` would give (`bad_request` for a bad name or options, a
  /// taken name, or a factory that threw; `no_such_route` for an unknown
  /// one); the other entries apply regardless. A name may appear in several
  /// lists (a later entry sees the earlier ones applied). Fails every entry
  /// with `shutting_down` once the router stops.
  [[nodiscard]] route_changes_result apply(route_changes changes) const;

  /// Adds every spec in one registry message (see `apply`); returns one
  /// error per spec, none where the route was added.
  [[nodiscard]] std::vector<caf::error>
  add_all(std::vector<route_spec> specs) const;

  /// Lists the routes, sorted by name.
  caf::expected<std::vector<core::route_info>> list() const;

  /// The metrics of this router's own routes, sorted by name: answers by
  /// outcome, the latency histogram, in flight, restarts (see
  /// `core::route_stats` and docs/operations.md). Read from the published
  /// directory and the workers' counters: no message, any thread.
  std::vector<core::route_stats> stats() const;

  /// Subscribes `watcher` to route events (see the protocol above).
  void watch(const caf::actor& watcher) const;

  void unwatch(const caf::actor& watcher) const;

  /// Internal: what every copy shares (for the mesh).
  const std::shared_ptr<detail::router_core>& core() const {
    return core_;
  }

  /// Graceful stop: new calls get `shutting_down`, in-flight requests
  /// finish, then every worker and the registry stop. Waits at most
  /// `deadline`; returns `timeout` if requests were still in flight then
  /// (the router then stops them with `shutting_down`).
  caf::error shutdown(caf::timespan deadline) const;

protected:
  std::shared_ptr<detail::router_core> core_;
};

/// Owns a registry and its routes; destroying it stops them.
///
/// `router r{sys};` spawns the registry in `sys`. Calls in flight when the
/// router is destroyed get `shutting_down` (use `shutdown` to drain first).
/// Not copyable: pass `router_ref` (the base) to code that only uses it.
class router : public router_ref {
public:
  explicit router(caf::actor_system& sys);

  ~router();

  router(const router&) = delete;
  router& operator=(const router&) = delete;
  router(router&&) noexcept = default;

  /// Stops the registry this router owned, then takes over `other`'s.
  router& operator=(router&& other) noexcept;

  /// A non-owning reference for handlers and other actors.
  router_ref ref() const {
    return *this;
  }
};

} // namespace switchboard

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::route_spec)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::route_changes)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::route_changes_result)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(switchboard::core::route_event)
