#include "switchboard/router.hpp"

#include <algorithm>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/make_message.hpp>
#include <caf/message_id.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include "switchboard/detail/registry_actor.hpp"
#include "switchboard/detail/router_core.hpp"

namespace switchboard {

namespace {

/// Sends `xs...` to the registry and waits for a `()` or an error.
template <class... Ts>
caf::error ask(const detail::router_core& core, Ts&&... xs) {
  caf::scoped_actor self{*core.sys};
  caf::error result;
  self->request(core.registry, caf::infinite, std::forward<Ts>(xs)...)
    .receive([] {}, [&](caf::error& err) { result = std::move(err); });
  return result;
}

/// Stops the registry at once: the exit message goes ahead of the calls
/// queued in its mailbox, which the registry then answers with
/// `shutting_down` (see registry_state).
void stop_now(const caf::actor& registry) {
  if (registry)
    registry->enqueue(nullptr,
                      caf::make_message_id(caf::message_priority::high),
                      caf::make_message(caf::exit_msg{
                        registry.address(), caf::exit_reason::user_shutdown}),
                      nullptr);
}

} // namespace

caf::actor router_ref::registry() const {
  return core_->registry;
}

caf::actor_system& router_ref::system() const {
  return *core_->sys;
}

caf::expected<route_handle> router_ref::resolve(const std::string& name) const {
  auto dir = core_->dir->load();
  auto i = dir->find(name);
  if (i == dir->end())
    return make_error(error_code::no_such_route,
                      "no route named '" + name + "'");
  return route_handle{i->second};
}

caf::error router_ref::add(std::string name, handler impl,
                           core::route_options options) const {
  return ask(*core_, add_atom::value,
             route_spec{std::move(name), std::move(impl), options});
}

caf::error router_ref::replace(std::string name, handler impl,
                               core::route_options options) const {
  return ask(*core_, replace_atom::value,
             route_spec{std::move(name), std::move(impl), options});
}

caf::error router_ref::remove(const std::string& name) const {
  return ask(*core_, remove_atom::value, name);
}

bool route_changes_result::ok() const {
  auto fine = [](const std::vector<caf::error>& xs) {
    return std::all_of(xs.begin(), xs.end(),
                       [](const caf::error& x) { return !x; });
  };
  return fine(remove) && fine(add) && fine(replace);
}

route_changes_result router_ref::apply(route_changes changes) const {
  route_changes_result result;
  auto fail_all
    = [&, n_remove = changes.remove.size(), n_add = changes.add.size(),
       n_replace = changes.replace.size()](const caf::error& err) {
        result.remove.assign(n_remove, err);
        result.add.assign(n_add, err);
        result.replace.assign(n_replace, err);
      };
  caf::scoped_actor self{*core_->sys};
  self
    ->request(core_->registry, caf::infinite, apply_atom::value,
              std::move(changes))
    .receive([&](route_changes_result& x) { result = std::move(x); },
             [&](caf::error& err) {
               if (err == caf::sec::request_receiver_down)
                 err = make_error(error_code::shutting_down,
                                  "the router has stopped");
               fail_all(err);
             });
  return result;
}

std::vector<caf::error>
router_ref::add_all(std::vector<route_spec> specs) const {
  route_changes changes;
  changes.add = std::move(specs);
  return apply(std::move(changes)).add;
}

caf::expected<std::vector<core::route_info>> router_ref::list() const {
  caf::scoped_actor self{*core_->sys};
  caf::expected<std::vector<core::route_info>> result{caf::error{}};
  self->request(core_->registry, caf::infinite, list_atom::value)
    .receive([&](std::vector<core::route_info>& xs) { result = std::move(xs); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

std::vector<core::route_stats> router_ref::stats() const {
  return detail::stats_of(*core_->dir->load());
}

void router_ref::watch(const caf::actor& watcher) const {
  caf::anon_send(core_->registry, watch_atom::value, watcher);
}

void router_ref::unwatch(const caf::actor& watcher) const {
  caf::anon_send(core_->registry, unwatch_atom::value, watcher);
}

caf::error router_ref::shutdown(caf::timespan deadline) const {
  caf::scoped_actor self{*core_->sys};
  caf::error result;
  self->request(core_->registry, deadline, shutdown_atom::value)
    .receive([] {},
             [&](caf::error& err) {
               if (err == caf::sec::request_timeout) {
                 caf::anon_send_exit(core_->registry,
                                     caf::exit_reason::user_shutdown);
                 result = make_error(error_code::timeout,
                                     "requests were still in flight when "
                                     "the shutdown deadline passed");
               } else if (err != caf::sec::request_receiver_down) {
                 result = std::move(err);
               }
             });
  return result;
}

router::router(caf::actor_system& sys) {
  auto dir = std::make_shared<detail::directory_cell>();
  auto registry = sys.spawn(detail::registry_actor, dir);
  core_ = std::make_shared<detail::router_core>(sys, std::move(registry),
                                                std::move(dir));
}

router::~router() {
  if (core_)
    stop_now(core_->registry);
}

router& router::operator=(router&& other) noexcept {
  if (this != &other) {
    if (core_)
      stop_now(core_->registry);
    core_ = std::move(other.core_);
  }
  return *this;
}

} // namespace switchboard
