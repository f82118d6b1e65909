#include <catch2/catch.hpp>

#include <set>
#include <thread>

#include <caf/scoped_actor.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

using event_list = std::vector<core::route_event>;

caf::actor spawn_watcher(caf::actor_system& sys,
                         std::shared_ptr<event_list> events) {
  return sys.spawn([events](caf::event_based_actor* self) -> caf::behavior {
    return {
      [events](route_event_atom, const core::route_event& ev) {
        events->push_back(ev);
      },
      [self](caf::atom_value) { self->quit(); },
    };
  });
}

/// Sends `(sb_apply, xs)` to the registry and runs until it answered.
route_changes_result apply(fixture& f, route_changes xs) {
  auto result = std::make_shared<route_changes_result>();
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) mutable {
    self->request(registry, caf::infinite, apply_atom::value, std::move(xs))
      .then([=](route_changes_result& x) { *result = std::move(x); });
  });
  f.run();
  return *result;
}

route_spec echo_spec(std::string name) {
  return route_spec{
    std::move(name), make_handler([](std::string x) { return x; }), {}};
}

} // namespace

TEST_CASE("apply adds 10000 routes in one message, all callable, with one "
          "event per route to watchers") {
  fixture f;
  auto events = std::make_shared<event_list>();
  f.sb->watch(spawn_watcher(*f.sys, events));
  f.run();
  route_changes xs;
  constexpr int n = 10000;
  for (int i = 0; i < n; ++i)
    xs.add.push_back(route_spec{"r" + std::to_string(i),
                                make_handler([i](int32_t x) { return x + i; }),
                                {}});
  auto res = apply(f, std::move(xs));
  REQUIRE(res.add.size() == n);
  CHECK(res.ok());
  CHECK(events->size() == n);
  std::set<std::string> names;
  for (auto& ev : *events) {
    CHECK(ev.change == core::route_change::added);
    names.insert(ev.route.name);
  }
  CHECK(names.size() == n);
  CHECK(f.list().size() == n);
  std::vector<outcome_ptr> calls;
  for (int i = 0; i < n; ++i)
    calls.push_back(
      f.call("r" + std::to_string(i), caf::make_message(int32_t{1})));
  f.run();
  for (int i = 0; i < n; ++i) {
    REQUIRE(calls[i]->ok());
    REQUIRE(calls[i]->as<int32_t>() == i + 1);
  }
}

TEST_CASE("apply refuses a failing entry whole and applies the others") {
  fixture f;
  REQUIRE(!f.add("taken", [](std::string x) { return x; }));
  REQUIRE(!f.add("old", [](std::string x) { return x; }));
  REQUIRE(!f.add("swap", [](std::string) { return std::string{"v1"}; }));
  auto events = std::make_shared<event_list>();
  f.sb->watch(spawn_watcher(*f.sys, events));
  f.run();
  events->clear();
  core::route_options bad;
  bad.workers = 0;
  route_changes xs;
  xs.remove = {"old", "missing"};
  xs.add.push_back(echo_spec("fresh"));
  xs.add.push_back(echo_spec("taken"));
  xs.add.push_back(
    route_spec{"bad", make_handler([](int32_t x) { return x; }), bad});
  xs.add.push_back(echo_spec(""));
  xs.add.push_back(echo_spec("ctl\x01name"));
  xs.add.push_back(echo_spec(std::string(256, 'x')));
  xs.add.push_back(echo_spec("bidi\xE2\x80\xAEname"));
  xs.replace.push_back(route_spec{
    "swap", make_handler([](std::string) { return std::string{"v2"}; }), {}});
  xs.replace.push_back(echo_spec("nothing"));
  auto res = apply(f, std::move(xs));
  REQUIRE(res.remove.size() == 2);
  REQUIRE(res.add.size() == 7);
  REQUIRE(res.replace.size() == 2);
  CHECK(!res.ok());
  CHECK(!res.remove[0]);
  CHECK(code_of(res.remove[1]) == error_code::no_such_route);
  CHECK(!res.add[0]);
  CHECK(code_of(res.add[1]) == error_code::bad_request);
  CHECK(code_of(res.add[2]) == error_code::bad_request);
  CHECK(message_of(res.add[2]).find("workers") != std::string::npos);
  for (size_t i = 3; i < 7; ++i) {
    INFO(i << ": " << message_of(res.add[i]));
    CHECK(code_of(res.add[i]) == error_code::bad_request);
    CHECK(message_of(res.add[i]).find("route name") != std::string::npos);
  }
  CHECK(!res.replace[0]);
  CHECK(code_of(res.replace[1]) == error_code::no_such_route);
  // Nothing of a refused entry is left behind.
  std::set<std::string> names;
  for (auto& r : f.list())
    names.insert(r.name);
  CHECK(names == std::set<std::string>{"fresh", "swap", "taken"});
  // One event per applied change, in order: removals, additions, replaces.
  REQUIRE(events->size() == 3);
  CHECK((*events)[0].change == core::route_change::removed);
  CHECK((*events)[0].route.name == "old");
  CHECK((*events)[1].change == core::route_change::added);
  CHECK((*events)[1].route.name == "fresh");
  CHECK((*events)[2].change == core::route_change::replaced);
  CHECK((*events)[2].route.name == "swap");
  auto v = f.call("swap", caf::make_message(std::string{"x"}));
  auto gone = f.call("old", caf::make_message(std::string{"x"}));
  f.run();
  CHECK(v->as<std::string>() == "v2");
  CHECK(gone->code() == error_code::no_such_route);
}

TEST_CASE(
  "add refuses a route name with a control character, naming the problem") {
  fixture f;
  auto err = f.add("a\nb", [](int32_t x) { return x; });
  REQUIRE(code_of(err) == error_code::bad_request);
  CHECK(message_of(err).find("route name refused") != std::string::npos);
  CHECK(f.list().empty());
}

TEST_CASE("router::add_all and router::apply work from a plain thread") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  register_error_category(cfg);
  caf::actor_system sys{cfg};
  router sb{sys};
  std::vector<route_spec> specs;
  for (int i = 0; i < 1000; ++i)
    specs.push_back(echo_spec("e" + std::to_string(i)));
  specs.push_back(echo_spec("e0"));
  auto errs = sb.add_all(std::move(specs));
  REQUIRE(errs.size() == 1001);
  CHECK(std::count_if(errs.begin(), errs.end(),
                      [](const caf::error& x) { return !x; })
        == 1000);
  CHECK(code_of(errs.back()) == error_code::bad_request);
  route_changes diff;
  diff.remove = {"e1"};
  diff.replace.push_back(echo_spec("e2"));
  diff.add.push_back(echo_spec("e1"));
  auto res = sb.apply(std::move(diff));
  CHECK(res.ok());
  auto xs = sb.list();
  REQUIRE(xs);
  CHECK(xs->size() == 1000);
}
