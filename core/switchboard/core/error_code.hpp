#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace switchboard::core {

/// The one set of errors a caller of a route can receive.
///
/// Every request gets exactly one reply: a value or one of these codes. The
/// numeric values are stable: they travel inside `caf::error` (category
/// `switchboard`) and across the network. docs/semantics.md says, for each
/// code, when it happens and whether the handler may have run.
enum class error_code : uint8_t {
  /// No route of that name exists (or it was removed).
  no_such_route = 1,
  /// The route exists but has no live worker (restart budget exhausted).
  no_worker,
  /// The route already has `max_in_flight` requests in flight.
  overloaded,
  /// The request's deadline passed before a reply arrived.
  timeout,
  /// The handler threw; the message carries `what()`.
  handler_failed,
  /// The worker holding the request died before replying.
  worker_down,
  /// The arguments do not match the route's handler signature.
  bad_request,
  /// The node serving the route is gone (mesh).
  node_down,
  /// The router is shutting down and takes no new requests.
  shutting_down,
  /// The caller may not do this: a message outside a node's public
  /// protocol, or a call or mesh join its identity is not allowed.
  forbidden,
};

/// Returns the code's name as spelled in the docs, e.g. "no_such_route".
std::string_view to_string(error_code x) noexcept;

/// Parses a name produced by `to_string`.
std::optional<error_code> parse_error_code(std::string_view name) noexcept;

/// The smallest and largest valid codes, for iteration in tests and tools.
inline constexpr error_code first_error_code = error_code::no_such_route;
inline constexpr error_code last_error_code = error_code::forbidden;

} // namespace switchboard::core
