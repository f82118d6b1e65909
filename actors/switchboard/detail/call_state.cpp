#include "switchboard/detail/call_state.hpp"

#include <caf/actor_cast.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/detail/scope_guard.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_view.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/detail/caller_run.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/detail/router_core.hpp"
#include "switchboard/detail/worker_actor.hpp"
#include "switchboard/route_handle.hpp"

namespace switchboard::detail {

namespace {

using clock = std::chrono::steady_clock;

// What keeps a caller's pending-table slot at one 64-byte cache line, its
// continuation included (see pending_call).
static_assert(sizeof(void*) != 8 || sizeof(pending_call) == 32);
static_assert(sizeof(void*) != 8 || sizeof(std::optional<pending_call>) == 40);

/// Reaches the protected `scheduled_actor::default_handler_`: naming it
/// through a derived class yields a plain pointer to the base's member.
struct handler_access : caf::scheduled_actor {
  static constexpr auto member = &handler_access::default_handler_;
};

/// The state whose reply taker runs on this thread, if any: CAF moves an
/// actor's default handler out of the actor while it runs it, so a call
/// made from a continuation (or from the user's own default handler, which
/// the taker runs) finds its state here.
thread_local call_state* running_taker = nullptr;

/// The default handler a caller gets on its first call: replies and ticks
/// first; every other unmatched message goes to the handler the actor had
/// (its own, caf::skip, print-and-drop). It also is where the caller's
/// state lives: `call_state::of` finds it in the actor's own handler, with
/// no lookup table and no lock.
struct reply_taker {
  std::shared_ptr<call_state> st;
  caf::scheduled_actor::default_handler previous;

  caf::result<caf::message> operator()(caf::scheduled_actor* ptr,
                                       caf::message_view& x) {
    auto outer = running_taker;
    running_taker = st.get();
    auto restore = caf::detail::make_scope_guard(
      [outer] { running_taker = outer; });
    // "Delegated": nothing to answer, and CAF skips building a response
    // promise for the (asynchronous) reply message.
    if (st->handle(x))
      return caf::delegated<caf::message>{};
    if (previous)
      return previous(ptr, x);
    return caf::print_and_drop(ptr, x);
  }
};

} // namespace

call_state::call_state(caf::scheduled_actor* self) : self_(self) {
  // nop
}

call_state& call_state::of(caf::scheduled_actor* self) {
  // Runs in `self`'s context only, so its handler cannot change under us.
  auto& current = self->*handler_access::member;
  auto* taker = current.target<reply_taker>();
  if (taker != nullptr && taker->st->alive)
    return *taker->st;
  if (taker == nullptr && running_taker != nullptr
      && running_taker->self_ == self)
    return *running_taker; // Called from inside the taker.
  auto st = std::make_shared<call_state>(self);
  // A closed state's handler (the actor is terminating) is not chained.
  auto previous = taker != nullptr ? taker->previous : current;
  self->set_default_handler(reply_taker{st, std::move(previous)});
  std::weak_ptr<call_state> weak = st;
  self->attach_functor([weak] {
    // Drop the continuations (and what they captured) with the actor.
    if (auto ptr = weak.lock())
      ptr->close();
  });
  return *st;
}

void call_state::close() {
  alive = false;
  calls_.clear([](uint64_t, pending_call) {});
  // Free the tables too, not only their entries: the actor's handler
  // keeps this object until the actor is destroyed.
  calls_ = {};
  routes_ = {};
  last_handle_ = nullptr;
  handles_.clear();
  dir_owner_.reset();
  dir_.reset();
  remote_.reset(); // holds link handles
  dir_version_ = UINT64_MAX;
}

uint64_t call_state::add(pending_call&& pc, const std::string& route,
                         clock::time_point now, clock::duration timeout) {
  auto deadline = now + timeout;
  pc.route = routes_.acquire(route);
  auto id = calls_.insert(std::move(pc), deadline, timeout);
  if (!tick_at_ || deadline < *tick_at_)
    schedule_tick(deadline);
  return id;
}

void call_state::fail_later(uint64_t id, caf::error err) {
  self_->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                           reply_atom::value, id,
                                           std::move(err)),
                 self_->context());
}

bool call_state::handle(caf::message_view& x) {
  auto& xs = x.content();
  if (xs.size() == 3 && xs.match_element<reply_atom>(0)
      && xs.match_element<uint64_t>(1)) {
    auto id = xs.get_as<uint64_t>(1);
    if (xs.match_element<caf::message>(2)) {
      on_value(id, xs.get_mutable_as<caf::message>(2));
      return true;
    }
    if (xs.match_element<caf::error>(2)) {
      on_error(id, xs.get_mutable_as<caf::error>(2));
      return true;
    }
    return false;
  }
  if (xs.size() == 2 && xs.match_element<tick_atom>(0)
      && xs.match_element<int64_t>(1)) {
    on_tick(xs.get_as<int64_t>(1));
    return true;
  }
  return false;
}

void call_state::on_value(uint64_t id, caf::message& value) {
  // Run where the entry lies: a continuation moves by a virtual call. A
  // late reply (the caller already got `timeout`) finds nothing.
  calls_.take_with(id, [&](pending_call& pc) {
    // Released however the continuation ends (it may throw).
    auto release = caf::detail::make_scope_guard(
      [this, route = pc.route] { routes_.release(route); });
    if (!pc.then()->on_value(value)) {
      auto err = reply_mismatch(nullptr, routes_[pc.route], value,
                                pc.then()->expects());
      pc.then()->on_error(err);
    }
  });
}

void call_state::on_error(uint64_t id, caf::error& err) {
  calls_.take_with(id, [&](pending_call& pc) {
    auto release = caf::detail::make_scope_guard(
      [this, route = pc.route] { routes_.release(route); });
    pc.then()->on_error(err);
  });
}

void call_state::on_tick(int64_t at) {
  if (tick_at_ && to_ns(*tick_at_) == at)
    tick_at_.reset();
  calls_.expire(self_->clock().now(), [this](uint64_t, pending_call pc) {
    auto err = make_error(error_code::timeout,
                          "route '" + routes_[pc.route]
                            + "' did not answer before the deadline");
    routes_.release(pc.route);
    pc.then()->on_error(err);
  });
  if (auto next = calls_.next_deadline())
    if (!tick_at_ || *next < *tick_at_)
      schedule_tick(*next);
}

void call_state::schedule_tick(clock::time_point at) {
  tick_at_ = at;
  self_->clock().schedule_message(
    at, caf::actor_cast<caf::strong_actor_ptr>(self_),
    caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                              tick_atom::value, to_ns(at)));
}

void call_state::refresh(const router_core& core) {
  if (dir_owner_ != core.dir || dir_version_ != core.dir->version()) {
    dir_owner_ = core.dir;
    dir_version_ = core.dir->version();
    dir_ = core.dir->load();
    remote_ = core.dir->load_remote();
    last_handle_ = nullptr;
    handles_.clear();
  }
}

call_state::destination call_state::lookup(const router_core& core,
                                          const std::string& route) {
  refresh(core);
  destination result;
  if (last_handle_ != nullptr && last_handle_->first == route) {
    result.local = &last_handle_->second;
  } else if (auto h = handles_.find(route); h != handles_.end()) {
    last_handle_ = &*h;
    result.local = &h->second;
  } else if (auto i = dir_->find(route); i != dir_->end()) {
    last_handle_ = &*handles_.emplace(route, route_handle{i->second}).first;
    result.local = &last_handle_->second;
  } else if (auto j = remote_->find(route);
             j != remote_->end() && !j->second.links.empty()) {
    result.remote = &j->second;
  }
  return result;
}

namespace {

// A call's envelope is allocated by the caller's thread and freed by the
// worker's; the reply the other way round. glibc keeps freed blocks in a
// cache of the freeing thread per size class, and a thread's next block of
// that size comes from there. With equal sizes the two threads trade the
// same blocks back and forth; with different ones each thread's cache of
// the other's size overflows, and every free beyond it takes the other
// thread's arena lock (measured with one caller at 100 in flight: ~300 000
// futex calls a second, the call path's rate 0.6-0.75 of plain CAF's,
// whose request and response elements match).
static_assert(
  sizeof(caf::mailbox_element_vals<call_envelope>)
    == sizeof(caf::mailbox_element_vals<reply_atom, uint64_t, caf::message>),
  "an envelope's mailbox element and a reply's must be of one size");

/// Admits a call to `route` (from `handle.current`, with its pool `p`) and
/// sends it from `self` as call `id`, straight to a worker (or a fan-out's
/// gatherer). Returns why not if the route refused it (nothing sent).
/// `caller_unit`: where a worker this call wakes runs if the route lets
/// callers run it (`caller_runs`); else, and if null, the caller's context.
caf::error send_local(caf::local_actor* self, route_handle& handle,
                      route_state* route, const pool* p, caf::message args,
                      uint64_t id, int64_t sent_at, int64_t timeout,
                      caf::execution_unit* caller_unit = nullptr) {
  auto adm = admit(*route, *p, args);
  // Replaced after `current` read it: the call goes to the successor, as
  // it would have a moment earlier (the registry stores the successor
  // before it closes the old route).
  while (adm.err && route->status() == route_status::removed
         && route->successor()) {
    route = handle.current(p);
    if (route == nullptr)
      break;
    adm = admit(*route, *p, args);
  }
  if (adm.err)
    return std::move(adm.err);
  caf::strong_actor_ptr me{self->ctrl()};
  if (adm.slot == nullptr) {
    fan_out(self, *route, *p, reply_target{std::move(me), {}, id}, args,
            sent_at, timeout);
    return caf::none;
  }
  // The envelope's values live in the mailbox element itself: one
  // allocation, no separate message.
  auto env = caf::make_mailbox_element(
    std::move(me), caf::make_message_id(), {},
    call_envelope{id, sent_at, timeout, {}, std::move(args)});
  // The route that admitted the call decides (a successor may differ).
  auto eu = caller_unit != nullptr && route->options.caller_runs
              ? caller_unit
              : self->context();
  if (!deliver(*route, *adm.slot, std::move(env), eu))
    return worker_gone(*route);
  return caf::none;
}

caf::error removed_error(const route_handle& handle) {
  return make_error(error_code::no_such_route,
                    "route '" + handle.name() + "' was removed");
}

/// A call to the local route behind `handle`, from the caller straight to a
/// worker, or answered with why not.
void issue_local(caf::event_based_actor* self, call_state& cs,
                 route_handle& handle, caf::message args,
                 std::optional<caf::timespan> timeout, pending_call&& pc) {
  auto now = self->clock().now();
  const pool* p = nullptr;
  auto route = handle.current(p);
  if (route == nullptr) {
    auto id = cs.add(std::move(pc), handle.name(), now,
                     std::chrono::seconds{5});
    cs.fail_later(id, removed_error(handle));
    return;
  }
  auto t = std::chrono::duration_cast<clock::duration>(
    timeout ? *timeout : route->options.timeout);
  auto id = cs.add(std::move(pc), handle.name(), now, t);
  if (auto err = send_local(self, handle, route, p, std::move(args), id,
                            to_ns(now), to_ns(t)))
    cs.fail_later(id, std::move(err));
}

} // namespace

void issue_named(caf::event_based_actor* self, const router_core& core,
                 std::string route, caf::message args,
                 std::optional<caf::timespan> timeout, pending_call&& pc) {
  auto& cs = call_state::of(self);
  auto dest = cs.lookup(core, route);
  // A local route: from the caller straight to a worker, like a handle.
  if (dest.local != nullptr) {
    issue_local(self, cs, *dest.local, std::move(args), timeout,
                std::move(pc));
    return;
  }
  auto now = self->clock().now();
  auto t = std::chrono::duration_cast<clock::duration>(
    timeout ? *timeout : core.fallback_timeout);
  auto id = cs.add(std::move(pc), route, now, t);
  // A route only peers serve: straight to a link, no registry hop.
  if (dest.remote != nullptr) {
    reply_target to{caf::strong_actor_ptr{self->ctrl()},
                    caf::make_message_id(), id};
    auto envelope = make_envelope(id, to_ns(now), to_ns(t), route,
                                  std::move(args));
    dispatch_remote(self, *dest.remote, to, route, std::move(envelope));
    return;
  }
  // Neither (yet): the registry, which owns the map, answers. A stopped
  // registry would drop the envelope silently: offer it, and answer now if
  // its mailbox is closed.
  auto registry = static_cast<caf::scheduled_actor*>(
    caf::actor_cast<caf::abstract_actor*>(core.registry));
  auto env = caf::make_mailbox_element(
    caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), {},
    make_envelope(id, to_ns(now), to_ns(t), std::move(route),
                  std::move(args)));
  if (!offer_to(registry, std::move(env), self->context()))
    cs.fail_later(id, make_error(error_code::shutting_down,
                                 "the router has stopped"));
}

void issue_resolved(caf::event_based_actor* self, route_handle& handle,
                    caf::message args, std::optional<caf::timespan> timeout,
                    pending_call&& pc) {
  issue_local(self, call_state::of(self), handle, std::move(args), timeout,
              std::move(pc));
}

caf::error reply_mismatch(const route_handle* handle, const std::string& route,
                          const caf::message& reply,
                          const std::string& expects) {
  return make_error(error_code::bad_request,
                    "reply of route '" + (handle ? handle->name() : route)
                      + "' is " + signature_of(reply) + ", the caller expects "
                      + expects);
}

caf::expected<caf::message> await_call(caf::blocking_actor* self,
                                       const router_core* core,
                                       route_handle* handle,
                                       const std::string& route,
                                       caf::message args,
                                       std::optional<caf::timespan> timeout) {
  // Ids of one thread's calls: unique per blocking actor, which runs on
  // one thread.
  thread_local uint64_t last_id = 0;
  auto id = ++last_id;
  auto now = clock::now();
  std::optional<route_handle> by_name;
  if (handle == nullptr) {
    auto dir = core->dir->load();
    if (auto i = dir->find(route); i != dir->end())
      handle = &by_name.emplace(i->second);
  }
  auto t = std::chrono::duration_cast<clock::duration>(
    timeout.value_or(core ? core->fallback_timeout : caf::timespan{}));
  if (handle != nullptr) {
    const pool* p = nullptr;
    auto target = handle->current(p);
    if (target == nullptr)
      return removed_error(*handle);
    if (!timeout)
      t = std::chrono::duration_cast<clock::duration>(target->options.timeout);
    if (target->options.caller_runs) {
      // This thread would sleep until the reply: run the worker here
      // instead (one message: its own call, not other callers' queue).
      caller_run here{self->home_system()};
      auto err = send_local(self, *handle, target, p, std::move(args), id,
                            to_ns(now), to_ns(t), here.unit());
      here.run_caught(1);
      if (err)
        return err;
    } else if (auto err = send_local(self, *handle, target, p,
                                     std::move(args), id, to_ns(now),
                                     to_ns(t))) {
      return err;
    }
  } else {
    // Not local: the registry forwards it to a link, or answers
    // no_such_route.
    auto registry = static_cast<caf::scheduled_actor*>(
      caf::actor_cast<caf::abstract_actor*>(core->registry));
    auto env = caf::make_mailbox_element(
      caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), {},
      make_envelope(id, to_ns(now), to_ns(t), route, std::move(args)));
    if (!offer_to(registry, std::move(env), self->context()))
      return make_error(error_code::shutting_down, "the router has stopped");
  }
  // Take replies until ours; a late one of an earlier call is dropped.
  auto deadline = now + t;
  caf::expected<caf::message> result{caf::message{}};
  for (bool done = false; !done;) {
    auto left = deadline - clock::now();
    if (left <= clock::duration::zero()) {
      result = make_error(error_code::timeout,
                          "route '" + (handle ? handle->name() : route)
                            + "' did not answer before the deadline");
      break;
    }
    self->receive(
      [&](reply_atom, uint64_t reply_id, caf::message& x) {
        if (reply_id == id) {
          result = std::move(x);
          done = true;
        }
      },
      [&](reply_atom, uint64_t reply_id, caf::error& x) {
        if (reply_id == id) {
          result = std::move(x);
          done = true;
        }
      },
      caf::after(std::chrono::duration_cast<caf::timespan>(left)) >> [] {
        // nop: the loop checks the deadline.
      });
  }
  return result;
}

continuation::~continuation() = default;

} // namespace switchboard::detail
