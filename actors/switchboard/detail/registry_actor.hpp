#pragma once

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/behavior.hpp>
#include <caf/response_promise.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "switchboard/core/route_table.hpp"
#include "switchboard/detail/route_state.hpp"

namespace switchboard::detail {

/// The registry's state: the route table, who supervises which worker,
/// routes still draining, and the watchers.
///
/// CAF destroys the state in the registry's `on_exit`, before it bounces or
/// drops what is left in the mailbox; the destructor answers that itself:
/// calls (`sb_call` requests and `call_envelope`s) get `shutting_down`
/// at once instead of waiting for their timeout, other requests get CAF's
/// `request_receiver_down`.
struct registry_state {
  explicit registry_state(caf::scheduled_actor* self) : self_(self) {
    // nop
  }

  registry_state(const registry_state&) = delete;
  registry_state& operator=(const registry_state&) = delete;

  ~registry_state();

  core::route_table<route_ptr> routes;
  /// Every live worker of every route, for supervision.
  std::unordered_map<caf::actor_addr, route_ptr> workers;
  /// Closed routes whose in-flight requests have not all finished.
  std::unordered_map<uint64_t, route_ptr> draining;
  std::vector<caf::actor> watchers;
  std::shared_ptr<directory_cell> dir;
  /// Set by a graceful shutdown.
  bool shutdown = false;
  /// Everyone who asked for the shutdown; answered when the last route
  /// drained.
  std::vector<caf::response_promise> shutdown_waiters;
  /// The node's name, once a mesh is attached.
  std::string node_name;

  static constexpr const char* name = "switchboard.registry";

private:
  caf::scheduled_actor* self_;
};

/// The registry actor: owns the routes, forwards calls to workers
/// (the worker replies straight to the caller) and supervises workers.
/// Its protocol is documented in switchboard/router.hpp and
/// docs/architecture.md.
caf::behavior registry_actor(caf::stateful_actor<registry_state>* self,
                             std::shared_ptr<directory_cell> dir);

} // namespace switchboard::detail
