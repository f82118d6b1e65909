#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>

namespace switchboard::detail {

/// A route name held by a shared reference: 16 bytes where a `std::string`
/// takes 32, and nothing allocated for the empty name a call dispatched
/// straight to a worker carries. Converts to `const std::string&`.
class shared_name {
public:
  shared_name() = default;

  shared_name(std::string x)
    : ptr_(x.empty() ? nullptr
                     : std::make_shared<const std::string>(std::move(x))) {
    // nop
  }

  const std::string& str() const noexcept {
    static const std::string empty;
    return ptr_ ? *ptr_ : empty;
  }

  operator const std::string&() const noexcept {
    return str();
  }

private:
  std::shared_ptr<const std::string> ptr_;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shared_name& x) {
  auto tmp = x.str();
  auto load = [&]() -> caf::error {
    x = shared_name{std::move(tmp)};
    return caf::none;
  };
  return f(tmp, caf::meta::load_callback(load));
}

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
  /// worker (the worker knows its route). Shared, not a `std::string`, so
  /// that the envelope's mailbox element is as large as a reply's (see
  /// `send_local` in call_state.cpp).
  shared_name route;
  caf::message args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, call_envelope& x) {
  return f(caf::meta::type_name("switchboard::call_envelope"), x.call_id,
           x.sent_at_ns, x.timeout_ns, x.route, x.args);
}

} // namespace switchboard::detail
