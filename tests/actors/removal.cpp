#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("removing a route lets its in-flight requests finish") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("busy",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  auto workers = f.workers("busy");
  std::vector<outcome_ptr> inflight;
  for (int i = 0; i < 3; ++i)
    inflight.push_back(f.call("busy", caf::make_message(int32_t{i})));
  f.run();
  REQUIRE(held->size() == 3);
  REQUIRE(!f.remove("busy"));
  auto later = f.call("busy", caf::make_message(int32_t{9}));
  f.run();
  CHECK(later->code() == error_code::no_such_route);
  // The workers are still alive: they owe replies.
  for (auto& w : workers)
    CHECK(!caf::actor_cast<caf::abstract_actor*>(w)->getf(
      caf::abstract_actor::is_terminated_flag));
  int32_t i = 0;
  for (auto& r : *held)
    r.deliver(100 + i++);
  f.run();
  for (size_t k = 0; k < inflight.size(); ++k) {
    REQUIRE(inflight[k]->ok());
    CHECK(inflight[k]->as<int32_t>() >= 100);
  }
  // Drained: the workers are retired.
  for (auto& w : workers)
    CHECK(caf::actor_cast<caf::abstract_actor*>(w)->getf(
      caf::abstract_actor::is_terminated_flag));
}

TEST_CASE("replacing a route under load finishes old requests on the old handler") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<std::string>>>();
  REQUIRE(!f.add("v", [held](responder<std::string> r, int32_t) {
    held->push_back(r);
  }));
  auto old_call = f.call("v", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(held->size() == 1);
  REQUIRE(!f.replace("v", make_handler([](int32_t) {
                       return std::string{"new"};
                     })));
  auto new_call = f.call("v", caf::make_message(int32_t{2}));
  f.run();
  REQUIRE(new_call->ok());
  CHECK(new_call->as<std::string>() == "new");
  CHECK(old_call->replies == 0);
  (*held)[0].deliver(std::string{"old"});
  f.run();
  REQUIRE(old_call->ok());
  CHECK(old_call->as<std::string>() == "old");
}

TEST_CASE("a graceful shutdown refuses new calls and finishes in-flight ones") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("s",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); }));
  auto handle = f.sb->resolve("s");
  REQUIRE(handle);
  auto inflight = f.call("s", caf::make_message(int32_t{1}));
  f.run();
  auto done = std::make_shared<bool>(false);
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, shutdown_atom::value)
      .then([=] { *done = true; });
  });
  f.run();
  CHECK(!*done);
  auto by_name = f.call("s", caf::make_message(int32_t{2}));
  auto by_handle = f.call(*handle, caf::make_message(int32_t{3}));
  f.run();
  CHECK(by_name->code() == error_code::shutting_down);
  CHECK(by_handle->code() == error_code::shutting_down);
  (*held)[0].deliver(1);
  f.run();
  CHECK(inflight->ok());
  CHECK(*done);
}

TEST_CASE("destroying the router answers in-flight calls with shutting_down") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("s",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); }));
  auto res = f.call("s", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(held->size() == 1);
  f.sb.reset();
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::shutting_down);
}

TEST_CASE("a call by name after the router stopped gets shutting_down at once") {
  fixture f;
  REQUIRE(!f.add("s", [](int32_t x) { return x; }));
  auto ref = f.sb->ref();
  f.sb.reset();
  f.run();
  auto out = std::make_shared<outcome>();
  f.sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    ref.call(self, "s", int32_t{1})
      .then([=](int32_t) { ++out->replies; },
            [=](caf::error& e) {
              out->error = e;
              ++out->replies;
              self->quit();
            });
    return {[](int32_t) {}};
  });
  f.run();
  REQUIRE(out->replies == 1);
  CHECK(out->code() == error_code::shutting_down);
}

TEST_CASE("moving a router into another stops the registry it replaced") {
  fixture f;
  auto old_registry = f.sb->registry();
  *f.sb = router{*f.sys};
  f.run();
  CHECK(caf::actor_cast<caf::abstract_actor*>(old_registry)
          ->getf(caf::abstract_actor::is_terminated_flag));
  CHECK(f.sb->registry() != old_registry);
  REQUIRE(!f.add("after", [](int32_t x) { return x; }));
}

TEST_CASE("a second shutdown request is answered when the drain completes, not before") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("s",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); }));
  auto inflight = f.call("s", caf::make_message(int32_t{1}));
  f.run();
  auto done = std::make_shared<int>(0);
  auto registry = f.sb->registry();
  for (int i = 0; i < 2; ++i)
    f.sys->spawn([=](caf::event_based_actor* self) {
      self->request(registry, caf::infinite, shutdown_atom::value)
        .then([=] { ++*done; });
    });
  f.run();
  CHECK(*done == 0);
  (*held)[0].deliver(1);
  f.run();
  CHECK(inflight->ok());
  CHECK(*done == 2);
}
