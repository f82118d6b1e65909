#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

#include "switchboard/error.hpp"
#include "switchboard/handler.hpp"

namespace switchboard {

class route_handle;

namespace detail {

class router_core;

/// The caller's two continuations of one call, in one object.
class continuation {
public:
  virtual ~continuation();

  /// Runs the value continuation; returns false (running nothing) if the
  /// reply's types do not fit it.
  virtual bool on_value(caf::message& x) = 0;

  virtual void on_error(caf::error& x) = 0;

  /// What the value continuation takes, e.g. "(int32_t)", for error texts.
  virtual std::string expects() const = 0;

  /// Move-constructs this object at `dst` (storage of this object's size
  /// and alignment); this object is left moved from.
  virtual void move_to(void* dst) noexcept = 0;
};

/// A call waiting for its reply: its continuation (owned) and the route it
/// called, as an id in the caller's pool of route names (for error texts).
///
/// A continuation of up to `inline_size` bytes (a vtable pointer and two
/// lambdas capturing a pointer each, or one capturing two) lives inside
/// this object, so inside the caller's pending-table slot: no allocation
/// and, on the reply, no second cache line to fetch. A larger one is
/// allocated. 32 bytes, so that a slot takes one 64-byte cache line.
class pending_call {
public:
  static constexpr size_t inline_size = 3 * sizeof(void*);

private:
  // First, so that the route id and the mode fill the last 8 bytes.
  alignas(void*) unsigned char buf_[inline_size];

public:
  pending_call() noexcept = default;

  /// Holds a continuation of type `Impl`, made from `xs`.
  template <class Impl, class... Ts>
  static pending_call make(Ts&&... xs) {
    static_assert(std::is_base_of_v<continuation, Impl>);
    pending_call result;
    if constexpr (sizeof(Impl) <= inline_size && alignof(Impl) <= alignof(void*)
                  && std::is_nothrow_move_constructible_v<Impl>) {
      new (result.buf_) Impl(std::forward<Ts>(xs)...);
      result.mode_ = held::in_place;
    } else {
      auto ptr = new Impl(std::forward<Ts>(xs)...);
      std::memcpy(result.buf_, &ptr, sizeof(ptr));
      result.mode_ = held::allocated;
    }
    return result;
  }

  pending_call(pending_call&& other) noexcept
    : route(other.route), mode_(other.mode_) {
    take_from(other);
  }

  pending_call& operator=(pending_call&& other) noexcept {
    if (this != &other) {
      reset();
      route = other.route;
      mode_ = other.mode_;
      take_from(other);
    }
    return *this;
  }

  ~pending_call() {
    reset();
  }

  /// The continuation, or nullptr if moved from.
  continuation* then() const noexcept {
    switch (mode_) {
    case held::in_place:
      return std::launder(
        reinterpret_cast<continuation*>(const_cast<unsigned char*>(buf_)));
    case held::allocated: {
      continuation* ptr;
      std::memcpy(&ptr, buf_, sizeof(ptr));
      return ptr;
    }
    default:
      return nullptr;
    }
  }

  /// True if the continuation lives inside this object (no allocation).
  bool in_place() const noexcept {
    return mode_ == held::in_place;
  }

  /// The route's id in the caller's `core::name_pool`.
  uint32_t route = 0;

private:
  enum class held : uint8_t { nothing, in_place, allocated };

  /// Takes `other`'s continuation (`mode_` already copied).
  void take_from(pending_call& other) noexcept {
    if (mode_ == held::in_place) {
      auto src = other.then();
      src->move_to(buf_);
      src->~continuation();
    } else if (mode_ == held::allocated) {
      std::memcpy(buf_, other.buf_, sizeof(continuation*));
    }
    other.mode_ = held::nothing;
  }

  void reset() noexcept {
    if (mode_ == held::in_place)
      then()->~continuation();
    else if (mode_ == held::allocated)
      delete then();
    mode_ = held::nothing;
  }

  held mode_ = held::nothing;
};

void issue_named(caf::event_based_actor* self, const router_core& core,
                 std::string route, caf::message args,
                 std::optional<caf::timespan> timeout, pending_call&& pc);

void issue_resolved(caf::event_based_actor* self, route_handle& handle,
                    caf::message args, std::optional<caf::timespan> timeout,
                    pending_call&& pc);

/// Sends a call by name (`handle` null) or through `handle` from a blocking
/// actor and waits for its answer within the deadline.
caf::expected<caf::message> await_call(caf::blocking_actor* self,
                                       const router_core* core,
                                       route_handle* handle,
                                       const std::string& route,
                                       caf::message args,
                                       std::optional<caf::timespan> timeout);

/// The `bad_request` a caller gets for a reply of the wrong types; the
/// route is `handle`'s if set, else `route`.
caf::error reply_mismatch(const route_handle* handle, const std::string& route,
                          const caf::message& reply,
                          const std::string& expects);

template <class F, class... Ts, size_t... Is>
void call_with(F& f, caf::message& x, std::tuple<Ts...>*,
               std::index_sequence<Is...>) {
  f(x.get_as<std::decay_t<Ts>>(Is)...);
}

template <class F, class... Ts>
bool apply_reply(F& f, caf::message& x, std::tuple<Ts...>* token) {
  if constexpr (sizeof...(Ts) == 1
                && (std::is_same_v<std::decay_t<Ts>, caf::message> && ...)) {
    f(x);
    return true;
  } else {
    if (!x.match_elements<std::decay_t<Ts>...>())
      return false;
    call_with(f, x, token, std::index_sequence_for<Ts...>{});
    return true;
  }
}

/// Packs call arguments into a message (empty for none); a single
/// `caf::message` is taken as the arguments themselves.
template <class... Ts>
caf::message pack(Ts&&... xs) {
  if constexpr (sizeof...(Ts) == 0)
    return caf::message{};
  else if constexpr (sizeof...(Ts) == 1
                     && (std::is_same_v<std::decay_t<Ts>, caf::message> && ...))
    return caf::message{std::forward<Ts>(xs)...};
  else
    return caf::make_message(std::forward<Ts>(xs)...);
}

} // namespace detail

/// One call under construction: `router.call(self, "route", args...)` or
/// `handle.call(self, args...)`, then `.timeout(d)` optionally, then
/// `.then(on_value, on_error)`, which sends it.
///
/// Exactly one of the two continuations runs, once, in the caller's
/// context: `on_value` with the reply's values (its parameter types are
/// checked against the reply; a mismatch goes to `on_error` as
/// `bad_request`), or `on_error` with a switchboard error. Nothing is sent
/// until `then`. The caller is an event-based actor (blocking actors use
/// `blocking_call_request`): replies and deadline ticks reach it as
/// ordinary messages `(sb_reply, ...)` / `(sb_tick, ...)`. On its first
/// call the library wraps the actor's default handler: replies and ticks
/// are taken first, every other unmatched message goes to the handler the
/// actor had (a handler of its own, `caf::skip`, or CAF's print-and-drop).
/// So set the actor's own default handler before its first call; one set
/// later replaces the wrapper, and the calls then in flight lose their
/// answers. Outstanding calls cost O(1) each
/// however many are in flight. A request refers to the router or handle it
/// came from: call `then` before that goes away, and only once. A request
/// dropped without `then` sends nothing, so discarding one is a compiler
/// warning.
class [[nodiscard]] call_request {
public:
  call_request(caf::event_based_actor* self, const detail::router_core& core,
               std::string route, caf::message args)
    : self_(self),
      core_(&core),
      route_(std::move(route)),
      args_(std::move(args)) {
    // nop
  }

  call_request(caf::event_based_actor* self, route_handle& handle,
               caf::message args)
    : self_(self), handle_(&handle), args_(std::move(args)) {
    // nop
  }

  /// Overrides the route's timeout for this call. Any value costs the same:
  /// a caller files its deadlines by timeout class (see
  /// `core::pending_table`), so a remaining budget that differs on every
  /// call is fine; such calls may time out up to 1/16 of their timeout late.
  call_request& timeout(caf::timespan t) {
    timeout_ = t;
    return *this;
  }

  /// Sends the call. `on_value` takes the reply's values (or one
  /// `caf::message`); `on_error` takes a `caf::error`.
  template <class OnValue, class OnError>
  void then(OnValue on_value, OnError on_error) {
    auto pc = detail::pending_call::make<continuation_impl<OnValue, OnError>>(
      std::move(on_value), std::move(on_error));
    if (handle_ != nullptr)
      detail::issue_resolved(self_, *handle_, std::move(args_), timeout_,
                             std::move(pc));
    else
      detail::issue_named(self_, *core_, std::move(route_), std::move(args_),
                          timeout_, std::move(pc));
  }

private:
  template <class OnValue, class OnError>
  class continuation_impl final : public detail::continuation {
  public:
    using args = typename detail::fn_traits<OnValue>::args;

    continuation_impl(OnValue f, OnError g)
      : f_(std::move(f)), g_(std::move(g)) {
      // nop
    }

    bool on_value(caf::message& x) override {
      return detail::apply_reply(f_, x, static_cast<args*>(nullptr));
    }

    void on_error(caf::error& x) override {
      g_(x);
    }

    std::string expects() const override {
      return expects_impl(static_cast<args*>(nullptr));
    }

    void move_to(void* dst) noexcept override {
      new (dst) continuation_impl(std::move(*this));
    }

  private:
    template <class... Ts>
    static std::string expects_impl(std::tuple<Ts...>*) {
      return detail::signature_of_types<std::decay_t<Ts>...>();
    }

    OnValue f_;
    OnError g_;
  };

  caf::event_based_actor* self_;
  const detail::router_core* core_ = nullptr;
  route_handle* handle_ = nullptr;
  std::string route_;
  caf::message args_;
  std::optional<caf::timespan> timeout_;
};

/// One call from a blocking actor (`caf::scoped_actor`,
/// `caf::blocking_actor`) under construction: `router.call(self, "route",
/// args...)` or `handle.call(self, args...)`, then `.timeout(d)`
/// optionally, then `.receive(on_value, on_error)`, which sends it and
/// waits.
///
/// The call takes the same path as an event-based actor's (straight to a
/// worker for a local route), and `receive` returns after exactly one of
/// the continuations ran: `on_value` with the reply's values (types checked
/// as in `call_request`), or `on_error` with a switchboard error (`timeout`
/// once the deadline passed). Replies reach the actor as ordinary messages
/// `(sb_reply, id, ...)`; `receive` takes only those, and drops the late
/// replies of earlier calls it finds, so a timed-out call leaves nothing
/// behind. It does not touch the actor's other messages, but mind CAF
/// 0.17's blocking receive: while a message it skips sits in the mailbox,
/// its timeout does not fire, so with such a message waiting the deadline
/// holds only if the worker answers (it answers `timeout` itself once the
/// deadline passed before it ran the request). Give calling threads an
/// actor of their own, as the HTTP front door does.
class [[nodiscard]] blocking_call_request {
public:
  blocking_call_request(caf::blocking_actor* self,
                        const detail::router_core& core, std::string route,
                        caf::message args)
    : self_(self),
      core_(&core),
      route_(std::move(route)),
      args_(std::move(args)) {
    // nop
  }

  blocking_call_request(caf::blocking_actor* self, route_handle& handle,
                        caf::message args)
    : self_(self), handle_(&handle), args_(std::move(args)) {
    // nop
  }

  /// Overrides the route's timeout for this call.
  blocking_call_request& timeout(caf::timespan t) {
    timeout_ = t;
    return *this;
  }

  /// Sends the call and waits for its answer; see the class comment.
  template <class OnValue, class OnError>
  void receive(OnValue on_value, OnError on_error) {
    auto result = detail::await_call(self_, core_, handle_, route_,
                                     std::move(args_), timeout_);
    if (!result) {
      on_error(result.error());
      return;
    }
    using args = typename detail::fn_traits<OnValue>::args;
    if (!detail::apply_reply(on_value, *result, static_cast<args*>(nullptr))) {
      auto err = detail::reply_mismatch(handle_, route_, *result,
                                        expects(static_cast<args*>(nullptr)));
      on_error(err);
    }
  }

private:
  template <class... Ts>
  static std::string expects(std::tuple<Ts...>*) {
    return detail::signature_of_types<std::decay_t<Ts>...>();
  }

  caf::blocking_actor* self_;
  const detail::router_core* core_ = nullptr;
  route_handle* handle_ = nullptr;
  std::string route_;
  caf::message args_;
  std::optional<caf::timespan> timeout_;
};

} // namespace switchboard
