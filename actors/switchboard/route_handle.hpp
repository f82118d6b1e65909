#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <caf/make_message.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/call.hpp"
#include "switchboard/core/route_info.hpp"

namespace switchboard {

namespace detail {

class route_state;
struct pool;

} // namespace detail

/// A resolved route: calls through it go from the caller straight to a
/// worker, skipping the registry.
///
/// Obtained from `router::resolve`. The caller itself runs the route's
/// policy and admission (in-flight limit), so no single actor sees every
/// call. A handle stays valid while its route exists; when the route is
/// replaced it follows the replacement; when the route is removed, calls
/// through it get `no_such_route`. A handle caches the route's pool and is
/// not thread-safe: give each actor its own copy (copies are cheap).
class route_handle {
public:
  route_handle() = default;

  explicit route_handle(std::shared_ptr<detail::route_state> state);

  ~route_handle();

  route_handle(const route_handle&);
  route_handle& operator=(const route_handle&);
  route_handle(route_handle&&) noexcept;
  route_handle& operator=(route_handle&&) noexcept;

  /// The route's name.
  const std::string& name() const;

  /// Returns whether calls through this handle can reach a live route.
  bool valid() const;

  /// A snapshot of the route (after following replacements).
  core::route_info info() const;

  /// Starts a call from an event-based actor; see `call_request`.
  template <class... Ts>
  call_request call(caf::event_based_actor* self, Ts&&... xs) {
    return call_request{self, *this, detail::pack(std::forward<Ts>(xs)...)};
  }

  /// Starts a call from a blocking actor; see `blocking_call_request`.
  template <class... Ts>
  blocking_call_request call(caf::blocking_actor* self, Ts&&... xs) {
    return blocking_call_request{self, *this,
                                 detail::pack(std::forward<Ts>(xs)...)};
  }

  /// Starts a call from a `caf::scoped_actor`; see `blocking_call_request`.
  template <class... Ts>
  blocking_call_request call(caf::scoped_actor& self, Ts&&... xs) {
    return call(self.ptr(), std::forward<Ts>(xs)...);
  }

  /// @private: the live route (following replacements) and its pool, or
  /// null if the route was removed.
  detail::route_state* current(const detail::pool*& p);

private:
  std::shared_ptr<detail::route_state> state_;
  std::shared_ptr<const detail::pool> pool_;
  uint64_t version_ = UINT64_MAX;
};

} // namespace switchboard
