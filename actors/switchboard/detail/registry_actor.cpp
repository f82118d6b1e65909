#include "switchboard/detail/registry_actor.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message_view.hpp>
#include <caf/result.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/route_name.hpp"
#include "switchboard/detail/member_invoker.hpp"
#include "switchboard/detail/worker_actor.hpp"
#include "switchboard/error.hpp"
#include "switchboard/router.hpp"

namespace switchboard::detail {

namespace {

using self_ptr = caf::stateful_actor<registry_state>*;

int64_t now_ns(self_ptr self) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
           self->clock().now().time_since_epoch())
    .count();
}

caf::error unknown_route(self_ptr self, const std::string& name) {
  if (self->state.shutdown)
    return make_error(error_code::shutting_down,
                      "the router is shutting down (route '" + name + "')");
  return make_error(error_code::no_such_route,
                    "no route named '" + name + "'");
}

/// Spawns and monitors one worker of `route`. (Not linked: a worker
/// killed with `exit_reason::kill` would take the registry with it. Workers
/// monitor the registry instead and stop when it does.)
worker_slot spawn_worker(self_ptr self, const route_ptr& route,
                         std::unique_ptr<invoker> impl) {
  auto load = std::make_shared<core::worker_load>();
  auto handle = self->spawn<worker_actor>(route, load, std::move(impl));
  self->monitor(handle);
  self->state.workers.emplace(handle.address(), route);
  return worker_slot{std::move(handle), std::move(load)};
}

/// Creates a route with its workers, or says what is wrong with the spec.
caf::expected<route_ptr> build_route(self_ptr self, route_spec& spec) {
  if (auto problem = core::route_name_problem(spec.name); !problem.empty())
    return make_error(error_code::bad_request,
                      "route name refused: " + problem);
  if (auto problem = core::validate(spec.options); !problem.empty())
    return make_error(error_code::bad_request,
                      "route '" + spec.name + "': " + problem);
  auto& members = spec.impl.members();
  if (members.empty() && !spec.impl.factory())
    return make_error(error_code::bad_request,
                      "route '" + spec.name + "': the handler is empty");
  if (std::any_of(members.begin(), members.end(),
                  [](const caf::actor& x) { return !x; }))
    return make_error(error_code::bad_request,
                      "route '" + spec.name + "': a member actor is invalid");
  auto route = std::make_shared<route_state>(spec.name, spec.options,
                                             spec.impl, self->address());
  // Create every invoker first: a factory that throws leaves nothing behind.
  std::vector<std::unique_ptr<invoker>> impls;
  try {
    if (!members.empty())
      for (auto& member : members)
        impls.push_back(make_member_invoker(member));
    else
      for (size_t i = 0; i < spec.options.workers; ++i)
        impls.push_back(spec.impl.factory()());
  } catch (const std::exception& e) {
    return make_error(error_code::bad_request,
                      "route '" + spec.name
                        + "': the handler factory threw: " + e.what());
  } catch (...) {
    return make_error(error_code::bad_request,
                      "route '" + spec.name
                        + "': the handler factory threw an unknown exception");
  }
  std::vector<worker_slot> slots;
  for (auto& impl : impls)
    slots.push_back(spawn_worker(self, route, std::move(impl)));
  route->publish(std::make_shared<pool>(std::move(slots)));
  return route;
}

void publish_directory(self_ptr self) {
  auto next = std::make_shared<directory>();
  self->state.routes.for_each(
    [&](const std::string& name, const route_ptr& route) {
      next->emplace(name, route);
    });
  self->state.dir->store(std::move(next));
}

void notify(self_ptr self, core::route_change change, const route_state& r) {
  core::route_event ev{change, r.info()};
  for (auto& w : self->state.watchers)
    self->send(w, route_event_atom::value, ev);
}

void retire(self_ptr self, const route_state& route) {
  for (auto& slot : route.snapshot()->workers)
    self->send(slot.handle, retire_atom::value);
}

void maybe_finish_shutdown(self_ptr self) {
  auto& st = self->state;
  if (st.shutdown && st.routes.size() == 0 && st.draining.empty()) {
    for (auto& rp : st.shutdown_waiters)
      rp.deliver(caf::unit);
    self->quit(caf::exit_reason::user_shutdown);
  }
}

/// Stops admission on `route`; retires its workers once it drained.
void close_route(self_ptr self, const route_ptr& route, route_status why,
                 route_ptr successor) {
  route->close(why, std::move(successor));
  if (route->in_flight.load() == 0)
    retire(self, *route);
  else
    self->state.draining.emplace(route->uid, route);
}

/// One applied change whose publication and events are still due (see
/// `commit`).
struct staged {
  core::route_change change;
  /// The new route (added, replaced) or the removed one.
  route_ptr route;
  /// The replaced route.
  route_ptr old;
};

caf::error stage_add(self_ptr self, route_spec& spec,
                     std::vector<staged>& out) {
  auto& st = self->state;
  if (st.shutdown)
    return unknown_route(self, spec.name);
  if (st.routes.find(spec.name) != nullptr)
    return make_error(error_code::bad_request,
                      "route '" + spec.name + "' already exists");
  auto route = build_route(self, spec);
  if (!route)
    return std::move(route.error());
  st.routes.add(spec.name, *route);
  out.push_back(staged{core::route_change::added, std::move(*route), nullptr});
  return caf::none;
}

caf::error stage_replace(self_ptr self, route_spec& spec,
                         std::vector<staged>& out) {
  auto& st = self->state;
  if (st.routes.find(spec.name) == nullptr)
    return unknown_route(self, spec.name);
  auto route = build_route(self, spec);
  if (!route)
    return std::move(route.error());
  auto old = st.routes.replace(spec.name, *route);
  out.push_back(
    staged{core::route_change::replaced, std::move(*route), std::move(*old)});
  return caf::none;
}

caf::error stage_remove(self_ptr self, const std::string& name,
                        std::vector<staged>& out) {
  auto old = self->state.routes.remove(name);
  if (!old)
    return unknown_route(self, name);
  out.push_back(staged{core::route_change::removed, std::move(*old), nullptr});
  return caf::none;
}

/// Publishes the directory once for every staged change, then closes what
/// they retired and tells the watchers, in order. (Publishing first: a
/// caller or link that still reads the old directory finds a replaced
/// route closed with its successor set, never a gap.)
void commit(self_ptr self, std::vector<staged>& changes) {
  if (changes.empty())
    return;
  publish_directory(self);
  for (auto& x : changes) {
    switch (x.change) {
      case core::route_change::added:
        notify(self, x.change, *x.route);
        break;
      case core::route_change::replaced:
        close_route(self, x.old, route_status::removed, x.route);
        notify(self, x.change, *x.route);
        break;
      case core::route_change::removed:
        close_route(self, x.route, route_status::removed, nullptr);
        notify(self, x.change, *x.route);
        break;
    }
  }
  changes.clear();
}

/// Applies one change through `stage` and commits it.
template <class Stage, class Arg>
caf::result<void> apply_one(self_ptr self, Stage stage, Arg& arg) {
  std::vector<staged> changes;
  if (auto err = stage(self, arg, changes))
    return err;
  commit(self, changes);
  return caf::unit;
}

route_changes_result apply_all(self_ptr self, route_changes& xs) {
  route_changes_result result;
  std::vector<staged> changes;
  changes.reserve(xs.remove.size() + xs.add.size() + xs.replace.size());
  result.remove.reserve(xs.remove.size());
  for (auto& name : xs.remove)
    result.remove.push_back(stage_remove(self, name, changes));
  result.add.reserve(xs.add.size());
  for (auto& spec : xs.add)
    result.add.push_back(stage_add(self, spec, changes));
  result.replace.reserve(xs.replace.size());
  for (auto& spec : xs.replace)
    result.replace.push_back(stage_replace(self, spec, changes));
  commit(self, changes);
  return result;
}

/// Supervision: a worker died. Restart it within the budget, else drop it.
void on_worker_down(self_ptr self, const route_ptr& route,
                    const caf::actor_addr& dead) {
  auto p = route->snapshot();
  auto& ws = p->workers;
  auto i = std::find_if(ws.begin(), ws.end(), [&](const worker_slot& x) {
    return x.handle.address() == dead;
  });
  if (i == ws.end())
    return;
  // Nothing is lost with it: the worker answered its mailbox in on_exit,
  // and dispatchers whose envelope its closed mailbox refuses answer and
  // count themselves out (see `deliver`). Its counts are final now: they
  // move to the retired totals in the same snapshot that drops it.
  if (route->status() != route_status::open)
    return;
  auto retired = p->retired ? std::make_shared<core::route_stats>(*p->retired)
                            : std::make_shared<core::route_stats>();
  i->load->add_to(*retired);
  auto index = static_cast<size_t>(i - ws.begin());
  auto next = ws;
  if (route->spec.members().empty()
      && route->budget.try_restart(self->clock().now())) {
    std::unique_ptr<invoker> impl;
    try {
      impl = route->spec.factory()();
    } catch (...) {
      impl = nullptr;
    }
    if (impl) {
      next[index] = spawn_worker(self, route, std::move(impl));
      route->restarts.fetch_add(1, std::memory_order_relaxed);
    } else {
      next.erase(next.begin() + static_cast<ptrdiff_t>(index));
    }
  } else {
    next.erase(next.begin() + static_cast<ptrdiff_t>(index));
  }
  route->publish(std::make_shared<pool>(std::move(next), std::move(retired)));
}

/// Forwards a call to a worker of `name`, or to a peer that reaches it, or
/// answers the caller with why not. `envelope` travels unchanged unless
/// its timeout is 0 ("the route's own", from a peer); the worker replies
/// to `to.caller`.
void route_call(self_ptr self, const reply_target& to,
                const std::string& name, caf::message envelope,
                const caf::message& args, int64_t sent_at, int64_t timeout) {
  auto& st = self->state;
  if (auto route = st.routes.find(name)) {
    dispatch_local(self, **route, (*route)->owner_pool(), to, name,
                   std::move(envelope), args, sent_at, timeout);
    return;
  }
  // Routes peers serve: the mesh publishes them in the directory cell (a
  // stopping router closes it).
  auto remote = st.dir->load_remote();
  auto i = remote->find(name);
  if (i != remote->end() && !i->second.links.empty())
    dispatch_remote(self, i->second, to, name, std::move(envelope));
  else
    send_reply(self, self->context(), to, unknown_route(self, name));
}

} // namespace

registry_state::~registry_state() {
  close_mailbox(self_, [this](caf::mailbox_element& x) {
    auto& msg = x.content();
    if (msg.match_elements<call_envelope>()) {
      auto& e = msg.get_as<call_envelope>(0);
      auto& name = e.route.str();
      send_reply(self_, nullptr, reply_target{x.sender, x.mid, e.call_id},
                 make_error(error_code::shutting_down,
                            "the router stopped (route '" + name + "')"));
    } else if (x.mid.is_request() && msg.size() >= 2
               && msg.match_element<call_atom>(0)
               && msg.match_element<std::string>(1)) {
      auto& name = msg.get_as<std::string>(1);
      send_reply(self_, nullptr, reply_target{x.sender, x.mid, 0},
                 make_error(error_code::shutting_down,
                            "the router stopped (route '" + name + "')"));
    } else if (x.mid.is_request() && x.sender) {
      x.sender->enqueue(caf::make_mailbox_element(
                          caf::strong_actor_ptr{self_->ctrl()},
                          x.mid.response_id(), {},
                          caf::make_error(caf::sec::request_receiver_down)),
                        nullptr);
    }
  });
}

caf::behavior registry_actor(caf::stateful_actor<registry_state>* self,
                             std::shared_ptr<directory_cell> dir) {
  self->state.dir = dir;
  // However the registry stops (exit message, kill, exception): close every
  // route so handles answer `shutting_down`, and empty the directory, which
  // also breaks the cycle handler -> router_ref -> directory -> route.
  self->attach_functor([dir] {
    for (auto& [name, route] : *dir->load())
      if (route->status() == route_status::open)
        route->close(route_status::shutting_down, nullptr);
    dir->store(std::make_shared<directory>());
    dir->close_remote();
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    if (auto i = st.workers.find(dm.source); i != st.workers.end()) {
      auto route = std::move(i->second);
      st.workers.erase(i);
      on_worker_down(self, route, dm.source);
      return;
    }
    auto& ws = st.watchers;
    ws.erase(std::remove_if(ws.begin(), ws.end(),
                            [&](const caf::actor& x) {
                              return x.address() == dm.source;
                            }),
             ws.end());
  });
  // Stopped from outside (the router's destructor). The attached functor
  // above closes the routes; the workers stop when they see us go.
  self->set_exit_handler([self](caf::exit_msg& em) { self->quit(em.reason); });
  // Plain CAF requests: (sb_call, route, args...).
  self->set_default_handler(
    [](caf::scheduled_actor* ptr, caf::message_view& mv)
      -> caf::result<caf::message> {
      auto self = static_cast<self_ptr>(ptr);
      auto& xs = mv.content();
      if (xs.size() < 2 || !xs.match_element<call_atom>(0)
          || !xs.match_element<std::string>(1))
        return caf::print_and_drop(ptr, mv);
      auto& name = xs.get_as<std::string>(1);
      auto route = self->state.routes.find(name);
      if (route == nullptr && self->state.dir->load_remote()->count(name) == 0)
        return unknown_route(self, name);
      auto args = mv.copy_content_to_message().drop(2);
      auto sent_at = now_ns(self);
      // A remote route runs under its own node's timeout (0 says so).
      auto timeout = route ? (*route)->options.timeout.count() : 0;
      reply_target to{self->current_sender(), self->current_message_id(), 0};
      self->drop_current_message_id();
      route_call(self, to, name, make_envelope(0, sent_at, timeout, name, args),
                 args, sent_at, timeout);
      return caf::delegated<caf::message>{};
    });
  return {
    // A library call: forward the caller's envelope as is.
    [self](const call_envelope& e) {
      // The mailbox element is done with its sender: take it, no copy.
      reply_target to{std::move(self->current_sender()),
                      self->current_message_id(), e.call_id};
      route_call(self, std::move(to), e.route,
                 self->current_mailbox_element()->copy_content_to_message(),
                 e.args, e.sent_at_ns, e.timeout_ns);
    },
    [self](add_atom, route_spec& spec) -> caf::result<void> {
      return apply_one(self, stage_add, spec);
    },
    [self](replace_atom, route_spec& spec) -> caf::result<void> {
      return apply_one(self, stage_replace, spec);
    },
    [self](remove_atom, const std::string& name) -> caf::result<void> {
      return apply_one(self, stage_remove, name);
    },
    [self](apply_atom, route_changes& xs) { return apply_all(self, xs); },
    [self](list_atom) {
      auto& st = self->state;
      std::vector<core::route_info> result;
      st.routes.for_each([&](const std::string&, const route_ptr& r) {
        result.push_back(r->info());
        result.back().origin = st.node_name;
      });
      for (auto& [name, r] : *st.dir->load_remote())
        result.push_back(r.info);
      std::sort(result.begin(), result.end(),
                [](const auto& x, const auto& y) { return x.name < y.name; });
      return result;
    },
    [self](stats_atom) { return stats_of(*self->state.dir->load()); },
    // -- mesh -----------------------------------------------------------------
    // The mesh says the node's name (shown as the origin of its routes).
    [self](mesh_atom, const caf::actor&, const std::string& name) {
      self->state.node_name = name;
    },
    [self](watch_atom, const caf::actor& watcher) {
      auto& st = self->state;
      if (!watcher)
        return;
      st.watchers.push_back(watcher);
      self->monitor(watcher);
      st.routes.for_each([&](const std::string&, const route_ptr& r) {
        self->send(watcher, route_event_atom::value,
                   core::route_event{core::route_change::added, r->info()});
      });
    },
    [self](unwatch_atom, const caf::actor& watcher) {
      auto& ws = self->state.watchers;
      ws.erase(std::remove(ws.begin(), ws.end(), watcher), ws.end());
      self->demonitor(watcher);
    },
    [self](drained_atom, uint64_t uid) {
      auto& st = self->state;
      auto i = st.draining.find(uid);
      if (i == st.draining.end() || i->second->in_flight.load() != 0)
        return;
      auto route = std::move(i->second);
      st.draining.erase(i);
      retire(self, *route);
      maybe_finish_shutdown(self);
    },
    [self](shutdown_atom) -> caf::result<void> {
      auto& st = self->state;
      st.shutdown_waiters.push_back(self->make_response_promise());
      if (!st.shutdown) {
        st.shutdown = true;
        for (auto& name : st.routes.names()) {
          auto route = *st.routes.remove(name);
          close_route(self, route, route_status::shutting_down, nullptr);
          notify(self, core::route_change::removed, *route);
        }
        publish_directory(self);
        st.dir->close_remote();
      }
      maybe_finish_shutdown(self);
      return caf::delegated<void>{};
    },
  };
}

} // namespace switchboard::detail
