#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <typeinfo>
#include <variant>
#include <vector>

#include <caf/actor.hpp>
#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/message.hpp>
#include <caf/timespan.hpp>

namespace switchboard {

/// A reply a handler gives later (the untyped core of `responder<R>`).
///
/// Obtained from `handler_context::defer` (only a worker creates valid ones).
/// Deliver exactly once, from the
/// worker's own context (the handler itself or a continuation it set up on
/// the worker, such as the `then` of a call it made): like CAF's
/// `response_promise`, it is not thread-safe. A second delivery, or one after
/// the request's deadline passed (the caller already got `timeout`), is
/// ignored. If the worker dies first, the caller gets `worker_down`.
class deferred_reply {
public:
  deferred_reply() = default;

  deferred_reply(caf::actor worker, uint64_t token)
    : worker_(std::move(worker)), token_(token) {
    // nop
  }

  void deliver(caf::message value);

  void deliver(caf::error err);

  /// Like `deliver`, but safe from any thread: sends the result to the
  /// worker, which delivers it in its own context. For handlers that wait
  /// on something outside CAF (a child process, a socket) on a thread of
  /// their own.
  void post(caf::message value);

  void post(caf::error err);

  /// Posts `value` to the worker after `delay` (a timer, no thread waits).
  void post_after(caf::timespan delay, caf::message value);

  /// Returns whether this still owes a reply.
  bool pending() const noexcept {
    return token_ != 0;
  }

  /// The worker that owes (or owed) the reply; nullptr for one
  /// default-constructed.
  caf::event_based_actor* worker() const noexcept;

private:
  caf::actor worker_;
  uint64_t token_ = 0;
};

/// What a running handler sees of the worker it runs in.
class handler_context {
public:
  virtual ~handler_context();

  /// The worker actor, for handlers that call other routes or actors.
  virtual caf::event_based_actor* self() = 0;

  /// The name of the route being served.
  virtual const std::string& route() const = 0;

  /// When the current request's deadline passes (steady clock).
  virtual std::chrono::steady_clock::time_point deadline() const = 0;

  /// Takes over the reply: the handler will deliver it later. At most once
  /// per request.
  virtual deferred_reply defer() = 0;

  /// Ties the worker's life to `x`: when `x` dies, so does the worker, and
  /// its queued and deferred requests get `worker_down` (the registry then
  /// restarts it if it may). For handlers that front another actor.
  virtual void depend_on(const caf::actor& x) = 0;
};

/// Marks a result that a `deferred_reply` will deliver.
struct deferred_t {};

/// What one handler invocation produced.
using invoke_result = std::variant<caf::message, caf::error, deferred_t>;

/// Runs a route's handler on one request; one instance per worker.
///
/// This is the extension point behind every handler form: the templates in
/// handler.hpp wrap plain functions, asynchronous handlers and per-worker
/// state in it, and hosts (such as the daemon's exec and plugin handlers)
/// implement it directly. An invoker runs only inside its worker, one
/// request at a time, so it may keep state without locks. Exceptions it
/// throws become `handler_failed` for that request; the worker lives on.
class invoker {
public:
  virtual ~invoker();

  /// Runs the handler for `args`.
  virtual invoke_result invoke(handler_context& ctx, const caf::message& args)
    = 0;
};

/// Creates the invoker of one worker; called once per worker (and again
/// when a worker is restarted), so each worker has its own state.
using invoker_factory = std::function<std::unique_ptr<invoker>()>;

/// Returns a readable name of a type, e.g. "int32_t" or "std::string".
std::string type_name(const std::type_info& x);

/// Returns the element types of `x`, e.g. "(std::string, int32_t)".
std::string signature_of(const caf::message& x);

} // namespace switchboard
