#include "fixture.hpp"

#include <caf/atom.hpp>
#include <caf/send.hpp>

#include "switchboard/detail/route_state.hpp"

namespace switchboard::test {

namespace {

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.inline-output", true);
  register_error_category(cfg);
  return cfg;
}

} // namespace

fixture::fixture() {
  sys = std::make_unique<caf::actor_system>(configure(cfg));
  sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  sb = std::make_unique<router>(*sys);
  run();
}

fixture::~fixture() {
  sb.reset();
  run();
  // Fire whatever timers remain so every actor can terminate.
  while (sched->trigger_timeouts() > 0)
    run();
}

void fixture::run() {
  sched->run();
}

void fixture::advance(std::chrono::nanoseconds d) {
  sched->clock().advance_time(
    std::chrono::duration_cast<caf::actor_clock::duration_type>(d));
  run();
}

caf::error fixture::admin(caf::message msg) {
  auto result = std::make_shared<std::optional<caf::error>>();
  auto registry = sb->registry();
  sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, msg)
      .then([=]() { *result = caf::error{}; },
            [=](caf::error& err) { *result = std::move(err); });
  });
  run();
  if (!*result)
    return caf::make_error(caf::sec::request_timeout);
  return **result;
}

caf::error fixture::add(std::string name, handler impl,
                        core::route_options opts) {
  return admin(caf::make_message(
    add_atom::value, route_spec{std::move(name), std::move(impl), opts}));
}

caf::error fixture::replace(std::string name, handler impl,
                            core::route_options opts) {
  return admin(caf::make_message(
    replace_atom::value, route_spec{std::move(name), std::move(impl), opts}));
}

caf::error fixture::remove(std::string name) {
  return admin(caf::make_message(remove_atom::value, std::move(name)));
}

std::vector<core::route_info> fixture::list() {
  auto result = std::make_shared<std::vector<core::route_info>>();
  auto registry = sb->registry();
  sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, list_atom::value)
      .then([=](std::vector<core::route_info>& xs) { *result = xs; });
  });
  run();
  return *result;
}

namespace {

using done_atom = caf::atom_constant<caf::atom("t_done")>;

/// Issues `req` and keeps the calling actor alive until its reply came.
caf::behavior record(caf::event_based_actor* self, call_request req,
                     const outcome_ptr& out) {
  req.then(
    [self, out](caf::message& x) {
      out->value = x;
      ++out->replies;
      self->send(self, done_atom::value);
    },
    [self, out](caf::error& err) {
      out->error = std::move(err);
      ++out->replies;
      self->send(self, done_atom::value);
    });
  return {
    [self](done_atom) { self->quit(); },
  };
}

} // namespace

outcome_ptr fixture::call(std::string route, caf::message args,
                          std::optional<caf::timespan> timeout) {
  auto out = std::make_shared<outcome>();
  auto ref = sb->ref();
  sys->spawn([=](caf::event_based_actor* self) {
    auto req = ref.call(self, route, args);
    if (timeout)
      req.timeout(*timeout);
    return record(self, std::move(req), out);
  });
  return out;
}

outcome_ptr fixture::call(route_handle handle, caf::message args) {
  auto out = std::make_shared<outcome>();
  sys->spawn([=](caf::event_based_actor* self) mutable {
    return record(self, handle.call(self, args), out);
  });
  return out;
}

std::vector<caf::actor> fixture::workers(const std::string& name) {
  std::vector<caf::actor> result;
  auto handle = sb->resolve(name);
  if (!handle)
    return result;
  const detail::pool* p = nullptr;
  if (handle->current(p) != nullptr)
    for (auto& w : p->workers)
      result.push_back(w.handle);
  return result;
}

} // namespace switchboard::test
