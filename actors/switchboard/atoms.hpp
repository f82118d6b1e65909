#pragma once

#include <caf/atom.hpp>

/// The atoms of the router's message protocol (see docs/architecture.md).
namespace switchboard {

/// `(call, route, args...)`: a plain CAF request for a route by name, for
/// callers that do not use the library's call API. Replies with the
/// handler's result or a switchboard error.
using call_atom = caf::atom_constant<caf::atom("sb_call")>;

/// `(sb_env, id, deadline_ns, route, args)`: a call envelope of the library
/// call API; the worker answers with `(sb_reply, id, result)`.
using envelope_atom = caf::atom_constant<caf::atom("sb_env")>;

/// `(sb_reply, id, message | error)`: the reply to an envelope.
using reply_atom = caf::atom_constant<caf::atom("sb_reply")>;

/// `(sb_tick, at_ns)`: self-sent by callers to expire call deadlines.
using tick_atom = caf::atom_constant<caf::atom("sb_tick")>;

/// `(sb_wtick, at_ns)`: self-sent by workers to expire deferred replies.
using worker_tick_atom = caf::atom_constant<caf::atom("sb_wtick")>;

/// Registry administration: add, replace, remove, list, watch, unwatch.
using add_atom = caf::atom_constant<caf::atom("sb_add")>;
using replace_atom = caf::atom_constant<caf::atom("sb_replace")>;
using remove_atom = caf::atom_constant<caf::atom("sb_remove")>;
using list_atom = caf::atom_constant<caf::atom("sb_list")>;
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
