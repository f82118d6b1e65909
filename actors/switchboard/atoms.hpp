#pragma once

#include <caf/atom.hpp>

/// The atoms of the router's message protocol (see docs/architecture.md).
namespace switchboard {

/// `(call, route, args...)`: a plain CAF request for a route by name, for
/// callers that do not use the library's call API. Replies with the
/// handler's result or a switchboard error.
using call_atom = caf::atom_constant<caf::atom("sb_call")>;

/// `(sb_reply, id, message | error)`: the reply to a call of the library
/// call API (sent to a worker as a `detail::call_envelope`).
using reply_atom = caf::atom_constant<caf::atom("sb_reply")>;

/// `(sb_tick, at_ns)`: self-sent by callers to expire call deadlines.
using tick_atom = caf::atom_constant<caf::atom("sb_tick")>;

/// `(sb_wtick, at_ns)`: self-sent by workers to expire deferred replies.
using worker_tick_atom = caf::atom_constant<caf::atom("sb_wtick")>;

/// Registry administration: add, replace, remove, list, watch, unwatch.
using add_atom = caf::atom_constant<caf::atom("sb_add")>;
using replace_atom = caf::atom_constant<caf::atom("sb_replace")>;
using remove_atom = caf::atom_constant<caf::atom("sb_remove")>;
/// `(sb_apply, route_changes)` -> `route_changes_result`: many changes in
/// one message (see `router_ref::apply`).
using apply_atom = caf::atom_constant<caf::atom("sb_apply")>;
using list_atom = caf::atom_constant<caf::atom("sb_list")>;
/// `(sb_stats)` -> `std::vector<route_stats>`: the local routes' metrics.
using stats_atom = caf::atom_constant<caf::atom("sb_stats")>;
using watch_atom = caf::atom_constant<caf::atom("sb_watch")>;
using unwatch_atom = caf::atom_constant<caf::atom("sb_unwatch")>;

/// `(sb_event, route_event)`: sent to watchers on every route change.
using route_event_atom = caf::atom_constant<caf::atom("sb_event")>;

/// `(sb_dlvr, token, message | error)`: a deferred reply posted to its
/// worker from another thread (see `deferred_reply::post`).
using deliver_atom = caf::atom_constant<caf::atom("sb_dlvr")>;

/// Internal: a removed route has no request in flight any more.
using drained_atom = caf::atom_constant<caf::atom("sb_drained")>;

/// Internal: registry tells a worker to stop after its queued requests.
using retire_atom = caf::atom_constant<caf::atom("sb_retire")>;

/// `(sb_shutdown)`: the registry refuses new calls with `shutting_down`,
/// lets in-flight requests finish, then stops every worker and itself.
using shutdown_atom = caf::atom_constant<caf::atom("sb_shutdn")>;

} // namespace switchboard

// -- mesh (see docs/mesh.md) ------------------------------------------------------

namespace switchboard {

/// `(sb_hello, name, link)` request to a node's front door from a
/// connecting peer -> `(name, link)` of the node's side of the new link.
using hello_atom = caf::atom_constant<caf::atom("sb_hello")>;

/// `(sb_pstats)` request to a node's front door -> `std::vector<peer_stats>`:
/// calls, replies and bytes each way per peer (see `mesh::peer_stats`).
using peer_stats_atom = caf::atom_constant<caf::atom("sb_pstats")>;

/// Internal: the mesh tells the registry about itself and the node name.
using mesh_atom = caf::atom_constant<caf::atom("sb_mesh")>;


/// Between links: `(sb_reqs, [wire_request])`, `(sb_reps, [wire_reply])`,
/// `(sb_adv, [advert])`, `(sb_ping)`. `(sb_ping)` is also the front door's
/// probe: a request answered with `(sb_ping)`.
using requests_atom = caf::atom_constant<caf::atom("sb_reqs")>;
using replies_atom = caf::atom_constant<caf::atom("sb_reps")>;
using advert_atom = caf::atom_constant<caf::atom("sb_adv")>;
using ping_atom = caf::atom_constant<caf::atom("sb_ping")>;

/// Internal: mesh <-> link, link timers, mesh reconnects.
using advertise_atom = caf::atom_constant<caf::atom("sb_advout")>;
using learned_atom = caf::atom_constant<caf::atom("sb_advin")>;
using flush_atom = caf::atom_constant<caf::atom("sb_flush")>;
using link_tick_atom = caf::atom_constant<caf::atom("sb_ltick")>;
using peer_atom = caf::atom_constant<caf::atom("sb_peer")>;
using join_atom = caf::atom_constant<caf::atom("sb_join")>;
using retry_atom = caf::atom_constant<caf::atom("sb_retry")>;

/// Internal, between two links of one node: `(sb_relay, [wire_request])`
/// passes a batch of a peer's calls on towards another peer; the answers
/// come back as `(sb_relrep, [wire_reply])`.
using relay_atom = caf::atom_constant<caf::atom("sb_relay")>;
using relay_reply_atom = caf::atom_constant<caf::atom("sb_relrep")>;

} // namespace switchboard
