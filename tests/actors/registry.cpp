#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

using event_list = std::vector<core::route_event>;

/// Spawns an actor that records every route event it hears.
caf::actor spawn_watcher(fixture& f, std::shared_ptr<event_list> events) {
  return f.sys->spawn([events](caf::event_based_actor* self) -> caf::behavior {
    return {
      [events](route_event_atom, const core::route_event& ev) {
        events->push_back(ev);
      },
      [self](caf::atom_value) { self->quit(); },
    };
  });
}

} // namespace

TEST_CASE("a route added at run time answers calls by name") {
  fixture f;
  REQUIRE(!f.add("add", [](int32_t x, int32_t y) { return x + y; }));
  auto res = f.call("add", caf::make_message(int32_t{2}, int32_t{3}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 5);
}

TEST_CASE("adding a route under a taken name fails with bad_request") {
  fixture f;
  REQUIRE(!f.add("echo", [](std::string x) { return x; }));
  auto err = f.add("echo", [](std::string x) { return x + x; });
  REQUIRE(code_of(err) == error_code::bad_request);
  CHECK(message_of(err).find("'echo' already exists") != std::string::npos);
  auto res = f.call("echo", caf::make_message(std::string{"a"}));
  f.run();
  CHECK(res->as<std::string>() == "a");
}

TEST_CASE("a route with invalid options is refused with a message naming the field") {
  fixture f;
  core::route_options opts;
  opts.workers = 0;
  auto err = f.add("zero", [](int32_t x) { return x; }, opts);
  REQUIRE(code_of(err) == error_code::bad_request);
  CHECK(message_of(err).find("workers") != std::string::npos);
  CHECK(f.list().empty());
}

TEST_CASE("a removed route answers later calls with no_such_route") {
  fixture f;
  REQUIRE(!f.add("gone", [](int32_t x) { return x; }));
  REQUIRE(!f.remove("gone"));
  auto res = f.call("gone", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::no_such_route);
  CHECK(message_of(*res->error).find("'gone'") != std::string::npos);
}

TEST_CASE("removing or replacing an unknown route fails with no_such_route") {
  fixture f;
  CHECK(code_of(f.remove("nope")) == error_code::no_such_route);
  CHECK(code_of(f.replace("nope", make_handler([](int32_t x) { return x; })))
        == error_code::no_such_route);
}

TEST_CASE("replacing a route sends later calls to the new handler") {
  fixture f;
  REQUIRE(!f.add("v", [](int32_t) { return std::string{"old"}; }));
  REQUIRE(!f.replace("v", make_handler([](int32_t) {
                       return std::string{"new"};
                     })));
  auto res = f.call("v", caf::make_message(int32_t{0}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<std::string>() == "new");
}

TEST_CASE("list reports name, workers, policy and requests in flight") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.workers = 3;
  opts.policy = core::policy_kind::least_loaded;
  REQUIRE(!f.add("slow",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  REQUIRE(!f.add("fast", [](int32_t x) { return x; }));
  for (int i = 0; i < 4; ++i)
    f.call("slow", caf::make_message(int32_t{i}));
  f.run();
  auto routes = f.list();
  REQUIRE(routes.size() == 2);
  CHECK(routes[0].name == "fast");
  CHECK(routes[1].name == "slow");
  CHECK(routes[1].workers == 3);
  CHECK(routes[1].policy == core::policy_kind::least_loaded);
  CHECK(routes[1].in_flight == 4);
  CHECK(routes[0].in_flight == 0);
  for (auto& r : *held)
    r.deliver(7);
  f.run();
  routes = f.list();
  CHECK(routes[1].in_flight == 0);
  CHECK(routes[1].completed == 4);
}

TEST_CASE("a resolved handle calls a worker directly without the registry") {
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto handle = f.sb->resolve("sq");
  REQUIRE(handle);
  auto worker = f.workers("sq").at(0);
  auto res = f.call(*handle, caf::make_message(int32_t{9}));
  // Run the caller only: its call must land in the worker's mailbox, not
  // in the registry's.
  f.sched->run_once();
  auto& next = f.sched->next_job<caf::abstract_actor>();
  CHECK(next.address() == worker.address());
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 81);
}

TEST_CASE("resolving an unknown route fails with no_such_route") {
  fixture f;
  auto handle = f.sb->resolve("missing");
  REQUIRE(!handle);
  CHECK(code_of(handle.error()) == error_code::no_such_route);
}

TEST_CASE("a handle fails cleanly with no_such_route once its route is removed") {
  fixture f;
  REQUIRE(!f.add("r", [](int32_t x) { return x; }));
  auto handle = f.sb->resolve("r");
  REQUIRE(handle);
  REQUIRE(handle->valid());
  REQUIRE(!f.remove("r"));
  CHECK(!handle->valid());
  auto res = f.call(*handle, caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::no_such_route);
}

TEST_CASE("a handle follows its route to the replacement") {
  fixture f;
  REQUIRE(!f.add("r", [](int32_t) { return std::string{"one"}; }));
  auto handle = f.sb->resolve("r");
  REQUIRE(handle);
  REQUIRE(!f.replace("r", make_handler([](int32_t) {
                       return std::string{"two"};
                     })));
  CHECK(handle->valid());
  auto res = f.call(*handle, caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<std::string>() == "two");
}

TEST_CASE("watchers hear every existing route first, then each change") {
  fixture f;
  REQUIRE(!f.add("a", [](int32_t x) { return x; }));
  auto events = std::make_shared<event_list>();
  auto watcher = spawn_watcher(f, events);
  f.sb->watch(watcher);
  f.run();
  REQUIRE(events->size() == 1);
  CHECK((*events)[0].change == core::route_change::added);
  CHECK((*events)[0].route.name == "a");
  REQUIRE(!f.add("b", [](int32_t x) { return x; }));
  REQUIRE(!f.replace("a", make_handler([](int32_t x) { return x + 1; })));
  REQUIRE(!f.remove("b"));
  REQUIRE(events->size() == 4);
  CHECK((*events)[1].change == core::route_change::added);
  CHECK((*events)[1].route.name == "b");
  CHECK((*events)[2].change == core::route_change::replaced);
  CHECK((*events)[2].route.name == "a");
  CHECK((*events)[3].change == core::route_change::removed);
  CHECK((*events)[3].route.name == "b");
  f.sb->unwatch(watcher);
  f.run();
  REQUIRE(!f.add("c", [](int32_t x) { return x; }));
  CHECK(events->size() == 4);
  caf::anon_send(watcher, caf::atom("stop"));
  f.run();
}

TEST_CASE("a plain CAF request by name gets the handler's result") {
  fixture f;
  REQUIRE(!f.add("add", [](int32_t x, int32_t y) { return x + y; }));
  auto result = std::make_shared<int32_t>(0);
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, call_atom::value,
                  std::string{"add"}, int32_t{40}, int32_t{2})
      .then([=](int32_t x) { *result = x; });
  });
  f.run();
  CHECK(*result == 42);
}

TEST_CASE("a plain CAF request for an unknown route gets no_such_route") {
  fixture f;
  auto err = std::make_shared<caf::error>();
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, call_atom::value,
                  std::string{"nope"}, int32_t{1})
      .then([](int32_t) {}, [=](caf::error& e) { *err = e; });
  });
  f.run();
  CHECK(code_of(*err) == error_code::no_such_route);
}
