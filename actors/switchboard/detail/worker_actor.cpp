#include "switchboard/detail/worker_actor.hpp"

#include <algorithm>
#include <cstdint>
#include <utility>

#include <caf/actor_cast.hpp>
#include <caf/detail/scope_guard.hpp>
#include <caf/exit_reason.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/error.hpp"

namespace switchboard::detail {

worker_actor::worker_actor(caf::actor_config& cfg, route_ptr route,
                           std::shared_ptr<core::worker_load> load,
                           std::unique_ptr<invoker> impl)
  : caf::event_based_actor(cfg),
    route_(std::move(route)),
    load_(std::move(load)),
    impl_(std::move(impl)) {
  // nop
}

worker_actor::~worker_actor() = default;

const char* worker_actor::name() const {
  return "switchboard.worker";
}

caf::event_based_actor* worker_actor::self() {
  return this;
}

const std::string& worker_actor::route() const {
  return route_->name;
}

worker_actor::steady::time_point worker_actor::deadline() const {
  return current_deadline_;
}

caf::behavior worker_actor::make_behavior() {
  // A continuation that throws kills the worker; its owed replies then get
  // `handler_failed` (see on_exit) and the registry restarts it.
  set_exception_handler([this](std::exception_ptr& ptr) -> caf::error {
    try {
      std::rethrow_exception(ptr);
    } catch (const std::exception& e) {
      return make_error(error_code::handler_failed,
                        "route '" + route_->name + "': " + e.what());
    } catch (...) {
      return make_error(error_code::handler_failed,
                        "route '" + route_->name + "': unknown exception");
    }
  });
  // Stop with the registry (it does not link to workers: see there).
  if (auto registry = caf::actor_cast<caf::actor>(route_->registry))
    monitor(registry);
  else
    quit(caf::exit_reason::user_shutdown);
  // The worker dies with what it depends on (a member actor); other down
  // messages (a handler's own monitors) are ignored.
  set_down_handler([this](caf::down_msg& dm) {
    if (dm.source == route_->registry) {
      // The router is gone. Close the route before the mailbox closes, so
      // a caller whose envelope the closed mailbox refuses answers
      // `shutting_down` too (see `worker_gone`), not `worker_down`: CAF
      // sends this down message before the registry's own cleanup closes
      // the routes.
      if (route_->status() == route_status::open)
        route_->close(route_status::shutting_down, nullptr);
      quit(caf::exit_reason::user_shutdown);
      return;
    }
    if (std::find(depends_on_.begin(), depends_on_.end(), dm.source)
        == depends_on_.end())
      return;
    quit(make_error(error_code::worker_down,
                    "a member of route '" + route_->name
                      + "' went down: " + caf::to_string(dm.reason)));
  });
  return {
    [this](const call_envelope& e) {
      handle(e.call_id, e.sent_at_ns, e.timeout_ns, e.args);
    },
    [this](worker_tick_atom, int64_t at) {
      // Only the tick we are waiting for clears the mark; an older one
      // (superseded by an earlier deadline) just expires what is due.
      if (tick_at_ && tick_at_->time_since_epoch().count() == at)
        tick_at_.reset();
      expire_deferred();
    },
    [this](deliver_atom, uint64_t token, caf::message& value) {
      finish(token, std::move(value));
    },
    [this](deliver_atom, uint64_t token, caf::error& err) {
      finish(token, std::move(err));
    },
    [this](retire_atom) {
      retiring_ = true;
      retire_if_idle();
    },
  };
}

void worker_actor::handle(uint64_t call_id, int64_t sent_at_ns,
                          int64_t timeout_ns, const caf::message& args) {
  running_ = true;
  // The caller's reference goes with the reply: kept until the next
  // request, it would keep an actor alive that holds this route's handle
  // (and with it this worker), a cycle nothing breaks.
  auto guard = caf::detail::make_scope_guard([this] {
    running_ = false;
    current_.caller.reset();
  });
  // The mailbox element is done with its sender once we handle it: take it
  // instead of copying (a copy is an atomic increment on the caller's
  // control block, which the caller's thread is touching too).
  current_ = reply_target{std::move(current_element_->sender),
                          current_element_->mid, call_id};
  current_sent_at_ns_ = sent_at_ns;
  current_timeout_ = std::chrono::duration_cast<steady::duration>(
    std::chrono::nanoseconds{timeout_ns});
  current_deadline_ = from_ns(sent_at_ns) + current_timeout_;
  if (clock().now() >= current_deadline_) {
    complete(current_,
             make_error(error_code::timeout,
                        "route '" + route_->name
                          + "': deadline passed before a worker started it"),
             current_sent_at_ns_);
    return;
  }
  current_token_ = 0;
  auto fail = [&](std::string what) {
    auto err = make_error(error_code::handler_failed,
                          "route '" + route_->name + "': " + std::move(what));
    if (current_token_ != 0)
      finish(current_token_, std::move(err));
    else
      complete(current_, std::move(err), current_sent_at_ns_);
  };
  try {
    auto res = impl_->invoke(*this, args);
    // An invoker that deferred and still returned a result: the result
    // answers, through the deferred entry, so there is one reply.
    if (auto value = std::get_if<caf::message>(&res)) {
      if (current_token_ != 0)
        finish(current_token_, std::move(*value));
      else
        complete(current_, std::move(*value), current_sent_at_ns_);
    } else if (auto err = std::get_if<caf::error>(&res)) {
      if (current_token_ != 0)
        finish(current_token_, std::move(*err));
      else
        complete(current_, std::move(*err), current_sent_at_ns_);
    }
  } catch (const std::exception& e) {
    fail(e.what());
  } catch (...) {
    fail("unknown exception");
  }
  current_token_ = 0;
}

template <class Result>
void worker_actor::complete(const reply_target& to, Result&& result,
                            int64_t sent_at_ns) {
  size_t outcome = core::outcome_ok;
  if constexpr (std::is_same_v<std::decay_t<Result>, caf::error>) {
    auto code = code_of(result);
    outcome = core::outcome_of(code ? *code : error_code::handler_failed);
  }
  // Counted before the reply leaves: a caller that has its answer finds
  // it in the metrics.
  int64_t latency = -1;
  if (route_->options.timed)
    latency = std::max(int64_t{0}, to_ns(clock().now()) - sent_at_ns);
  load_->count(outcome, latency);
  // Deferred replies may be delivered while this actor is not running (its
  // last execution unit is stale then); the scheduler's own queue is safe.
  auto ctx = running_ ? context() : nullptr;
  // Count the request out before the caller can see the reply: a caller
  // that keeps exactly `max_in_flight` calls in flight issues its next call
  // the moment this reply arrives, and must find the capacity free. But
  // say that a closed route drained only after the reply is out: a
  // stopping node may exit on it.
  load_->in_flight.fetch_sub(1, std::memory_order_relaxed);
  auto drained = route_->count_out();
  send_reply(this, ctx, to, std::forward<Result>(result));
  if (drained)
    route_->report_drained();
}

bool worker_actor::offer(caf::mailbox_element_ptr x, caf::execution_unit* eu) {
  return offer_to(this, std::move(x), eu);
}

bool offer_to(caf::scheduled_actor* target, caf::mailbox_element_ptr x,
              caf::execution_unit* eu) {
  // Same steps as caf::scheduled_actor::enqueue in 0.17 for an actor that
  // is not detached (ours never are), minus the silent drop.
  switch (target->mailbox().push_back(std::move(x))) {
    case caf::intrusive::inbox_result::unblocked_reader:
      intrusive_ptr_add_ref(target->ctrl());
      if (eu != nullptr)
        eu->exec_later(target);
      else
        target->home_system().scheduler().enqueue(target);
      return true;
    case caf::intrusive::inbox_result::success:
      return true;
    default:
      return false;
  }
}

void worker_actor::depend_on(const caf::actor& x) {
  if (std::find(depends_on_.begin(), depends_on_.end(), x.address())
      != depends_on_.end())
    return;
  depends_on_.push_back(x.address());
  monitor(x);
}

deferred_reply worker_actor::defer() {
  if (current_token_ != 0)
    throw std::logic_error("defer() called twice for one request");
  // The request's own reply goes through the entry from now on.
  current_token_ = deferred_.insert(owed{std::move(current_),
                                         current_sent_at_ns_},
                                    current_deadline_, current_timeout_);
  if (!tick_at_ || current_deadline_ < *tick_at_)
    schedule_tick(current_deadline_);
  return deferred_reply{caf::actor_cast<caf::actor>(this), current_token_};
}

void worker_actor::finish(uint64_t token, caf::message value) {
  if (auto x = deferred_.take(token)) {
    complete(x->take(), std::move(value), x->sent_at_ns());
    retire_if_idle();
  }
}

void worker_actor::finish(uint64_t token, caf::error err) {
  if (auto x = deferred_.take(token)) {
    complete(x->take(), std::move(err), x->sent_at_ns());
    retire_if_idle();
  }
}

void worker_actor::expire_deferred() {
  deferred_.expire(clock().now(), [this](uint64_t, owed x) {
    complete(x.take(),
             make_error(error_code::timeout,
                        "route '" + route_->name
                          + "': the handler did not reply before the deadline"),
             x.sent_at_ns());
  });
  if (auto next = deferred_.next_deadline())
    if (!tick_at_ || *next < *tick_at_)
      schedule_tick(*next);
  retire_if_idle();
}

void worker_actor::schedule_tick(steady::time_point at) {
  tick_at_ = at;
  clock().schedule_message(at, caf::actor_cast<caf::strong_actor_ptr>(this),
                           caf::make_mailbox_element(
                             nullptr, caf::make_message_id(), {},
                             worker_tick_atom::value,
                             static_cast<int64_t>(at.time_since_epoch().count())));
}

void worker_actor::retire_if_idle() {
  if (retiring_ && deferred_.empty())
    quit();
}

void worker_actor::on_exit() {
  auto code = fail_state_ == caf::exit_reason::user_shutdown
                ? error_code::shutting_down
                : error_code::worker_down;
  auto reason = make_error(code, "route '" + route_->name
                                   + "': worker stopped ("
                                   + caf::to_string(fail_state_)
                                   + ") before replying");
  // A worker killed by a throwing continuation reports that error to the
  // replies it still owed; queued requests never ran and get `reason`.
  auto owed_error = code_of(fail_state_) ? fail_state_ : reason;
  deferred_.clear([&](uint64_t, owed x) {
    complete(x.take(), owed_error, x.sent_at_ns());
  });
  // Free the table too: a route's pool may keep this object a while.
  deferred_ = {};
  // Answer what still waits in the mailbox now; CAF would drop it silently.
  close_mailbox(this, [&](caf::mailbox_element& x) {
    auto& msg = x.content();
    if (msg.match_elements<call_envelope>()) {
      auto& e = msg.get_as<call_envelope>(0);
      reply_target to{x.sender, x.mid, e.call_id};
      complete(to, reason, e.sent_at_ns);
    }
  });
  impl_.reset();
  // A monitor lives with the monitored actor: the registry (and a member
  // this worker depends on) would keep an entry holding this worker's
  // address, and with it the worker's memory, for as long as it lives.
  demonitor(route_->registry);
  for (auto& x : depends_on_)
    demonitor(x);
  // The route's pool holds a handle to this worker: drop our side of the
  // cycle so both can be freed.
  route_.reset();
  load_.reset();
}

} // namespace switchboard::detail

namespace switchboard {

caf::event_based_actor* deferred_reply::worker() const noexcept {
  return static_cast<detail::worker_actor*>(
    caf::actor_cast<caf::abstract_actor*>(worker_));
}

void deferred_reply::deliver(caf::message value) {
  if (token_ == 0)
    return;
  auto token = std::exchange(token_, 0);
  if (auto ptr = caf::actor_cast<caf::abstract_actor*>(worker_))
    static_cast<detail::worker_actor*>(ptr)->finish(token, std::move(value));
}

void deferred_reply::deliver(caf::error err) {
  if (token_ == 0)
    return;
  auto token = std::exchange(token_, 0);
  if (auto ptr = caf::actor_cast<caf::abstract_actor*>(worker_))
    static_cast<detail::worker_actor*>(ptr)->finish(token, std::move(err));
}

void deferred_reply::post(caf::message value) {
  if (token_ == 0)
    return;
  auto token = std::exchange(token_, 0);
  caf::anon_send(worker_, deliver_atom::value, token, std::move(value));
}

void deferred_reply::post(caf::error err) {
  if (token_ == 0)
    return;
  auto token = std::exchange(token_, 0);
  caf::anon_send(worker_, deliver_atom::value, token, std::move(err));
}

void deferred_reply::post_after(caf::timespan delay, caf::message value) {
  if (token_ == 0)
    return;
  auto token = std::exchange(token_, 0);
  caf::delayed_anon_send(worker_, delay, deliver_atom::value, token,
                         std::move(value));
}

handler_context::~handler_context() = default;

invoker::~invoker() = default;

} // namespace switchboard
