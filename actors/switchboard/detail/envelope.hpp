#pragma once

#include <cstdint>
#include <string>

#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

namespace switchboard::detail {

/// A call on its way to a worker, or to the registry or a link that
/// forwards it: one message element, so a behavior matches it with one
/// type check instead of six. Stays in its process: the mesh carries calls
/// as `wire_request`s, and a peer's frame holding this type is refused at
/// the boundary like any type outside the allowlist (docs/security.md).
struct call_envelope {
  /// The caller's id of the call; 0 for a plain CAF request, answered as a
  /// CAF response to the request's message id.
  uint64_t call_id = 0;
  /// When the caller sent it, in nanoseconds of the steady clock.
  int64_t sent_at_ns = 0;
  /// The call's timeout; 0 means the serving route's own.
  int64_t timeout_ns = 0;
  /// The route's name; empty when the caller dispatched straight to a
  /// worker (the worker knows its route).
  std::string route;
  caf::message args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_envelope& x) {
  return f(caf::meta::type_name("switchboard::call_envelope"), x.call_id,
           x.sent_at_ns, x.timeout_ns, x.route, x.args);
}

} // namespace switchboard::detail
