#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>

#include "switchboard/core/pending_table.hpp"
#include "switchboard/core/worker_load.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/invoker.hpp"

namespace switchboard::detail {

/// Enqueues `x` to a local, non-detached actor like CAF's `enqueue`, but
/// says whether it got there: false if the mailbox is closed (the actor
/// stopped), in which case the element is dropped and the sender must
/// answer for it.
bool offer_to(caf::scheduled_actor* target, caf::mailbox_element_ptr x,
              caf::execution_unit* eu);

/// The same for a handle of a local, non-detached actor (e.g. a link).
inline bool offer_to(const caf::actor& target, caf::mailbox_element_ptr x,
                     caf::execution_unit* eu) {
  return offer_to(static_cast<caf::scheduled_actor*>(
                    caf::actor_cast<caf::abstract_actor*>(target)),
                  std::move(x), eu);
}

/// Passes each mailbox element to `f` (see `close_mailbox`).
template <class F>
struct mailbox_drainer {
  F& f;

  caf::intrusive::task_result operator()(caf::mailbox_element& x) {
    f(x);
    return caf::intrusive::task_result::resume;
  }

  template <class Key, class Queue, class... Ts>
  caf::intrusive::task_result operator()(const Key&, const Queue&,
                                         Ts&... xs) {
    return (*this)(xs...);
  }
};

/// Closes `self`'s mailbox (from `on_exit`) and passes every element still
/// in it to `f(caf::mailbox_element&)`, so the actor can answer what CAF
/// would otherwise drop silently.
template <class F>
void close_mailbox(caf::scheduled_actor* self, F f) {
  auto& mbox = self->mailbox();
  if (mbox.closed())
    return;
  mbox.close();
  self->get_normal_queue().flush_cache();
  self->get_urgent_queue().flush_cache();
  mailbox_drainer<F> d{f};
  while (mbox.queue().new_round(1000, d).consumed_items > 0)
    ; // nop
}

/// One worker of a route: runs the route's handler on each request and
/// replies straight to the caller.
///
/// Protocol:
/// - `call_envelope`: run the handler, unless the deadline has passed
///   (then: `timeout`).
/// - `(sb_wtick, at_ns)`: self-sent; answers deferred replies whose
///   deadline passed.
/// - `(sb_retire)`: from the registry, after the route drained: stop once
///   no deferred reply is owed.
///
/// A handler that throws answers `handler_failed` and the worker lives on.
/// When the worker dies for any reason, `on_exit` answers everything it
/// still owes, deferred replies and requests queued in its mailbox, with
/// `worker_down` (or `shutting_down` when the router stops): no request
/// waits for its timeout because its worker died.
class worker_actor : public caf::event_based_actor, public handler_context {
public:
  using steady = std::chrono::steady_clock;

  worker_actor(caf::actor_config& cfg, route_ptr route,
               std::shared_ptr<core::worker_load> load,
               std::unique_ptr<invoker> impl);

  ~worker_actor() override;

  caf::behavior make_behavior() override;

  void on_exit() override;

  const char* name() const override;

  // -- handler_context --------------------------------------------------------

  caf::event_based_actor* self() override;

  const std::string& route() const override;

  steady::time_point deadline() const override;

  deferred_reply defer() override;

  void depend_on(const caf::actor& x) override;

  // -- called by dispatchers --------------------------------------------------

  /// Enqueues `x` as CAF's `enqueue` does, but says whether the mailbox
  /// took it: false once this worker closed its mailbox (it is stopping; the
  /// element is gone and the dispatcher must answer the caller itself).
  /// This is what makes "every request gets a reply" hold when a worker
  /// dies while others still dispatch to it.
  bool offer(caf::mailbox_element_ptr x, caf::execution_unit* eu);

  // -- called by deferred_reply -----------------------------------------------

  /// Delivers the deferred reply `token` (ignored if already answered).
  void finish(uint64_t token, caf::message value);

  void finish(uint64_t token, caf::error err);

private:

  void handle(uint64_t call_id, int64_t sent_at_ns, int64_t timeout_ns,
              const caf::message& args);

  /// Sends the reply, counts the request out of the route and into the
  /// metrics (outcome, and latency since `sent_at_ns` if the route times
  /// its requests).
  template <class Result>
  void complete(const reply_target& to, Result&& result, int64_t sent_at_ns);

  void expire_deferred();

  void schedule_tick(steady::time_point at);

  void retire_if_idle();

  route_ptr route_;
  std::shared_ptr<core::worker_load> load_;
  std::unique_ptr<invoker> impl_;
  /// A deferred reply still owed, and when its request was sent: a
  /// `reply_target` and the time in 24 bytes rather than 32 (one per
  /// outstanding deferred call). Only one of the target's message id and
  /// call id matters (the call id, unless it is 0), so one field holds
  /// that one and the lowest bit of the caller's address, always 0 in a
  /// control block's, says which.
  class owed {
  public:
    owed(reply_target to, int64_t sent_at_ns) noexcept
      : caller_(reinterpret_cast<uintptr_t>(to.caller.release())),
        key_(to.call_id),
        sent_at_ns_(sent_at_ns) {
      if (key_ == 0) {
        caller_ |= by_mid;
        key_ = to.mid.integer_value();
      }
    }

    owed(owed&& other) noexcept
      : caller_(std::exchange(other.caller_, 0)),
        key_(other.key_),
        sent_at_ns_(other.sent_at_ns_) {
      // nop
    }

    owed& operator=(owed&& other) noexcept {
      std::swap(caller_, other.caller_);
      key_ = other.key_;
      sent_at_ns_ = other.sent_at_ns_;
      return *this;
    }

    ~owed() {
      if (auto ptr = caller())
        intrusive_ptr_release(ptr);
    }

    /// Gives up the reply target (the caller's reference with it).
    reply_target take() noexcept {
      caf::strong_actor_ptr ptr{caller(), false};
      caller_ &= by_mid;
      if ((caller_ & by_mid) != 0)
        return reply_target{std::move(ptr), caf::message_id{key_}, 0};
      return reply_target{std::move(ptr), caf::make_message_id(), key_};
    }

    int64_t sent_at_ns() const noexcept {
      return sent_at_ns_;
    }

  private:
    static constexpr uintptr_t by_mid = 1;

    static_assert(alignof(caf::actor_control_block) > by_mid,
                  "the flag needs a bit that no control block's address has");

    caf::actor_control_block* caller() const noexcept {
      return reinterpret_cast<caf::actor_control_block*>(caller_ & ~by_mid);
    }

    /// The caller's control block (holding a strong reference), or-ed with
    /// `by_mid` when `key_` is a message id.
    uintptr_t caller_;
    uint64_t key_;
    int64_t sent_at_ns_;
  };
  static_assert(sizeof(void*) != 8 || sizeof(owed) == 24);
  core::pending_table<owed> deferred_;
  /// The request being handled, when it was sent, and its deadline.
  reply_target current_;
  int64_t current_sent_at_ns_ = 0;
  steady::time_point current_deadline_;
  steady::duration current_timeout_{};
  /// Deferred-reply token taken by the running handler, if any.
  uint64_t current_token_ = 0;
  std::optional<steady::time_point> tick_at_;
  bool retiring_ = false;
  /// Actors whose death is this worker's death (see `depend_on`).
  std::vector<caf::actor_addr> depends_on_;
  /// True while `handle` runs, i.e. while `context()` is valid for sure.
  bool running_ = false;
};

} // namespace switchboard::detail
