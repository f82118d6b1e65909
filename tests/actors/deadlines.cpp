#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

/// A route whose handler parks every request and never answers.
caf::error add_black_hole(fixture& f, const std::string& name,
                          core::route_options opts = {}) {
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  return f.add(name,
               [held](responder<int32_t> r, int32_t) { held->push_back(r); },
               opts);
}

} // namespace

TEST_CASE("a route's timeout defaults to five seconds") {
  core::route_options opts;
  CHECK(opts.timeout == 5s);
}

TEST_CASE("a call whose handler never answers gets timeout at the route's deadline") {
  fixture f;
  core::route_options opts;
  opts.timeout = 250ms;
  REQUIRE(!add_black_hole(f, "hole", opts));
  auto res = f.call("hole", caf::make_message(int32_t{1}));
  f.run();
  f.advance(249ms);
  CHECK(res->replies == 0);
  f.advance(1ms);
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  CHECK(message_of(*res->error).find("'hole'") != std::string::npos);
  // The worker gave up on the request too: nothing stays in flight.
  CHECK(f.list()[0].in_flight == 0);
}

TEST_CASE("a per-call timeout overrides the route's") {
  fixture f;
  REQUIRE(!add_black_hole(f, "hole"));
  auto res = f.call("hole", caf::make_message(int32_t{1}), 10ms);
  f.run();
  f.advance(10ms);
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
}

TEST_CASE("a call through a handle gets timeout, never silence") {
  fixture f;
  core::route_options opts;
  opts.timeout = 1s;
  REQUIRE(!add_black_hole(f, "hole", opts));
  auto handle = f.sb->resolve("hole");
  REQUIRE(handle);
  auto res = f.call(*handle, caf::make_message(int32_t{1}));
  f.run();
  f.advance(1s);
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  CHECK(message_of(*res->error).find("'hole'") != std::string::npos);
}

TEST_CASE("a worker does not start a request whose deadline passed") {
  fixture f;
  auto started = std::make_shared<int>(0);
  core::route_options opts;
  opts.timeout = 100ms;
  REQUIRE(!f.add("work",
                 [started](int32_t x) {
                   ++*started;
                   return x;
                 },
                 opts));
  auto handle = f.sb->resolve("work");
  REQUIRE(handle);
  auto res = f.call(*handle, caf::make_message(int32_t{1}));
  // The caller sends; the worker has not run yet when the deadline passes.
  f.sched->run_once();
  f.sched->clock().advance_time(200ms);
  f.run();
  CHECK(*started == 0);
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  CHECK(f.list()[0].in_flight == 0);
}

TEST_CASE("a reply arriving after the deadline is dropped, the caller keeps its timeout") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.timeout = 50ms;
  REQUIRE(!f.add("late",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  auto res = f.call("late", caf::make_message(int32_t{1}));
  f.run();
  f.advance(50ms);
  REQUIRE(res->code() == error_code::timeout);
  (*held)[0].deliver(5);
  f.run();
  CHECK(res->replies == 1);
}

TEST_CASE("one caller's timed-out calls to several routes each name their own "
          "route") {
  fixture f;
  core::route_options opts;
  opts.timeout = 100ms;
  // A name longer than a std::string keeps inline, and two short ones.
  const std::vector<std::string> names{"a", "a route with a rather long name",
                                       "b"};
  for (auto& name : names)
    REQUIRE(!add_black_hole(f, name, opts));
  auto ref = f.sb->ref();
  auto errors = std::make_shared<std::vector<std::pair<size_t, caf::error>>>();
  f.sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    // Each route twice, interleaved.
    for (size_t round = 0; round < 2; ++round)
      for (size_t i = 0; i < names.size(); ++i)
        ref.call(self, names[i], int32_t{1})
          .then([](int32_t) {},
                [=](caf::error& e) { errors->emplace_back(i, e); });
    return {[](int32_t) {}};
  });
  f.run();
  f.advance(100ms);
  REQUIRE(errors->size() == 6);
  for (auto& [i, err] : *errors) {
    INFO(message_of(err));
    CHECK(code_of(err) == error_code::timeout);
    CHECK(message_of(err).find("route '" + names[i] + "'")
          != std::string::npos);
  }
}

TEST_CASE("a plain CAF request whose responder never answers gets timeout") {
  fixture f;
  core::route_options opts;
  opts.timeout = 250ms;
  REQUIRE(!add_black_hole(f, "hole", opts));
  auto err = std::make_shared<std::optional<caf::error>>();
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, call_atom::value,
                  std::string{"hole"}, int32_t{1})
      .then([](int32_t) {}, [=](caf::error& e) { *err = e; });
  });
  f.run();
  f.advance(249ms);
  CHECK(!err->has_value());
  f.advance(1ms);
  REQUIRE(err->has_value());
  CHECK(code_of(**err) == error_code::timeout);
  CHECK(f.list()[0].in_flight == 0);
}
