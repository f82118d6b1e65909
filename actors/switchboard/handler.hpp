#pragma once

#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/message.hpp>
#include <caf/make_message.hpp>

#include "switchboard/error.hpp"
#include "switchboard/invoker.hpp"

namespace switchboard {

/// The reply of an asynchronous handler whose result type is `R`.
///
/// An asynchronous handler takes a `responder<R>` as its first parameter
/// and delivers through it, possibly after calling other routes:
/// `[](responder<int> r, int x) { ...; r.deliver(x + 1); }`.
/// The rules of `deferred_reply` apply: once, from the worker's context.
/// Holds nothing but the `deferred_reply` (16 bytes): a handler may keep
/// many.
template <class R>
class responder {
public:
  /// Takes over `reply`, which `ctx.defer()` returned.
  responder(handler_context&, deferred_reply reply)
    : reply_(std::move(reply)) {
    // nop
  }

  /// Delivers the value.
  template <class T = R,
            class = std::enable_if_t<!std::is_void_v<T>>>
  void deliver(T value) {
    reply_.deliver(caf::make_message(std::move(value)));
  }

  /// Delivers "done" for handlers with no result (`responder<void>`).
  template <class T = R, class = std::enable_if_t<std::is_void_v<T>>>
  void deliver() {
    reply_.deliver(caf::message{});
  }

  /// Delivers an error instead of a value.
  void deliver(caf::error err) {
    reply_.deliver(std::move(err));
  }

  /// Delivers the value after `delay`, on a timer (no thread waits).
  template <class T = R,
            class = std::enable_if_t<!std::is_void_v<T>>>
  void deliver_after(caf::timespan delay, T value) {
    reply_.post_after(delay, caf::make_message(std::move(value)));
  }

  /// Delivers from any thread (the worker delivers it in its context).
  template <class T = R,
            class = std::enable_if_t<!std::is_void_v<T>>>
  void post(T value) {
    reply_.post(caf::make_message(std::move(value)));
  }

  void post(caf::error err) {
    reply_.post(std::move(err));
  }

  /// Returns whether the reply is still owed.
  bool pending() const noexcept {
    return reply_.pending();
  }

  /// The worker running the handler (to call other routes from it).
  caf::event_based_actor* self() const noexcept {
    return reply_.worker();
  }

private:
  deferred_reply reply_;
};

/// How a route handles requests: an invoker factory plus, for routes made
/// of existing actors, those actors.
///
/// Build one with `make_handler` (a function, lambda or asynchronous
/// handler), `per_worker` (a factory of stateful handlers),
/// `behavior_factory` (a CAF behavior per worker) or `actors` (existing
/// actors as the pool). `router::add` accepts any callable directly.
class handler {
public:
  handler() = default;

  handler(invoker_factory factory, std::string kind)
    : factory_(std::move(factory)), kind_(std::move(kind)) {
    // nop
  }

  /// The factory of per-worker invokers (empty for `actors`).
  const invoker_factory& factory() const noexcept {
    return factory_;
  }

  /// The existing actors of an `actors` handler.
  const std::vector<caf::actor>& members() const noexcept {
    return members_;
  }

  /// A short name of the form: "function", "async", "per_worker",
  /// "behavior", "actors" (hosts add their own, e.g. "exec").
  const std::string& kind() const noexcept {
    return kind_;
  }

  static handler from_actors(std::vector<caf::actor> members) {
    handler result;
    result.members_ = std::move(members);
    result.kind_ = "actors";
    return result;
  }

private:
  invoker_factory factory_;
  std::vector<caf::actor> members_;
  std::string kind_;
};

namespace detail {

template <class R, class... As>
struct fn_signature {
  using result = R;
  using args = std::tuple<As...>;
};

template <class F>
struct fn_traits : fn_traits<decltype(&std::decay_t<F>::operator())> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...) const> : fn_signature<R, As...> {};

template <class C, class R, class... As>
struct fn_traits<R (C::*)(As...)> : fn_signature<R, As...> {};

template <class R, class... As>
struct fn_traits<R (*)(As...)> : fn_signature<R, As...> {};

template <class R, class... As>
struct fn_traits<R(As...)> : fn_signature<R, As...> {};

template <class T>
struct is_responder : std::false_type {};

template <class R>
struct is_responder<responder<R>> : std::true_type {};

template <class T>
struct is_expected : std::false_type {};

template <class T>
struct is_expected<caf::expected<T>> : std::true_type {};

/// Turns whatever a synchronous handler returned into a reply.
template <class R, class F, class Call>
invoke_result to_result(F& fun, Call&& call) {
  if constexpr (std::is_void_v<R>) {
    call(fun);
    return caf::message{};
  } else {
    using value_type = std::decay_t<R>;
    if constexpr (std::is_same_v<value_type, caf::error>) {
      auto err = call(fun);
      if (err)
        return invoke_result{std::move(err)};
      return caf::message{};
    } else if constexpr (std::is_same_v<value_type, caf::message>) {
      return call(fun);
    } else if constexpr (is_expected<value_type>::value) {
      auto res = call(fun);
      if (!res)
        return invoke_result{std::move(res.error())};
      return caf::make_message(std::move(*res));
    } else {
      return caf::make_message(call(fun));
    }
  }
}

template <class... Ts>
std::string signature_of_types() {
  std::string result = "(";
  ((result += type_name(typeid(Ts)), result += ", "), ...);
  if (result.size() > 1)
    result.resize(result.size() - 2);
  result += ")";
  return result;
}

std::string mismatch_text(const std::string& route, const std::string& expected,
                          const caf::message& args);

/// Adapts a callable `F` to the invoker interface.
template <class F>
class function_invoker final : public invoker {
public:
  explicit function_invoker(F fun) : fun_(std::move(fun)) {
    // nop
  }

  invoke_result invoke(handler_context& ctx,
                       const caf::message& args) override {
    using traits = fn_traits<F>;
    return dispatch(ctx, args, static_cast<typename traits::args*>(nullptr));
  }

private:
  template <class First, class... Rest>
  invoke_result dispatch(handler_context& ctx, const caf::message& args,
                         std::tuple<First, Rest...>*) {
    if constexpr (is_responder<std::decay_t<First>>::value) {
      if (!args.match_elements<std::decay_t<Rest>...>())
        return mismatch(ctx, args, signature_of_types<std::decay_t<Rest>...>());
      std::decay_t<First> resp{ctx, ctx.defer()};
      call_async(std::move(resp), args,
                 std::index_sequence_for<Rest...>{},
                 static_cast<std::tuple<std::decay_t<Rest>...>*>(nullptr));
      return deferred_t{};
    } else {
      return dispatch_sync<First, Rest...>(ctx, args);
    }
  }

  invoke_result dispatch(handler_context& ctx, const caf::message& args,
                         std::tuple<>*) {
    return dispatch_sync<>(ctx, args);
  }

  template <class... Ts>
  invoke_result dispatch_sync(handler_context& ctx, const caf::message& args) {
    if (!args.match_elements<std::decay_t<Ts>...>())
      return mismatch(ctx, args, signature_of_types<std::decay_t<Ts>...>());
    using result = typename fn_traits<F>::result;
    return to_result<result>(fun_, [&](F& f) -> decltype(auto) {
      return call_sync(f, args, std::index_sequence_for<Ts...>{},
                       static_cast<std::tuple<std::decay_t<Ts>...>*>(nullptr));
    });
  }

  template <size_t... Is, class... Ts>
  static decltype(auto) call_sync(F& f, const caf::message& args,
                                  std::index_sequence<Is...>,
                                  std::tuple<Ts...>*) {
    return f(args.get_as<Ts>(Is)...);
  }

  template <class Resp, size_t... Is, class... Ts>
  void call_async(Resp resp, const caf::message& args,
                  std::index_sequence<Is...>, std::tuple<Ts...>*) {
    fun_(std::move(resp), args.get_as<Ts>(Is)...);
  }

  static invoke_result mismatch(handler_context& ctx, const caf::message& args,
                                const std::string& expected) {
    return invoke_result{make_error(error_code::bad_request,
                                    mismatch_text(ctx.route(), expected,
                                                  args))};
  }

  F fun_;
};

template <class F>
constexpr bool is_async_handler() {
  using args = typename fn_traits<F>::args;
  if constexpr (std::tuple_size_v<args> == 0)
    return false;
  else
    return is_responder<std::decay_t<std::tuple_element_t<0, args>>>::value;
}

} // namespace detail

/// Wraps a function or lambda as a route handler.
///
/// Synchronous: `R(Args...)` where `R` is a value, `void`, `caf::message`,
/// `caf::error` or `caf::expected<T>`. Asynchronous: the first parameter is
/// a `responder<R>`. Parameters are taken by value or `const&`. The same
/// callable is copied into every worker; use `per_worker` for state that
/// must not be shared.
template <class F>
handler make_handler(F fun) {
  auto kind = detail::is_async_handler<F>() ? "async" : "function";
  return handler{[fun]() -> std::unique_ptr<invoker> {
                   return std::make_unique<detail::function_invoker<F>>(fun);
                 },
                 kind};
}

/// A handler with one state per worker: `factory()` runs once for every
/// worker (and again for a restarted one) and returns that worker's
/// handler, e.g. `per_worker([] { return [n = 0](int x) mutable { return n
/// += x; }; })`.
template <class Factory>
handler per_worker(Factory factory) {
  using fun = std::decay_t<decltype(factory())>;
  return handler{[factory]() mutable -> std::unique_ptr<invoker> {
                   return std::make_unique<detail::function_invoker<fun>>(
                     factory());
                 },
                 "per_worker"};
}

/// A handler from a CAF behavior factory, called once per worker with the
/// worker actor. The behavior receives the request's arguments as a plain
/// message; what a matching handler returns is the reply. A request that
/// matches no handler gets `bad_request`. For replies given later, use an
/// asynchronous handler (`responder`) instead: a behavior's result is taken
/// as it returns.
handler behavior_factory(
  std::function<caf::behavior(caf::event_based_actor*)> factory);

/// A route whose pool is made of existing actors. Each request is sent to
/// one of them as a plain CAF request with the call's arguments; its
/// response is the reply. An actor that dies leaves the pool for good
/// (it cannot be restarted); requests it held get `worker_down`.
handler actors(std::vector<caf::actor> members);

} // namespace switchboard
