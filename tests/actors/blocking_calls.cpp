#include <catch2/catch.hpp>

// Calls from blocking actors (`caf::scoped_actor`): `router.call(self, ...)`
// and `handle.call(self, ...)` then `.receive(...)`. Real threads, CAF's
// default scheduler; every wait is bounded by the call's own deadline.

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/switchboard.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

struct blocking_fixture {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::optional<router> sb;

  blocking_fixture() {
    cfg.set("scheduler.max-threads", 2);
    register_error_category(cfg);
    sys.emplace(cfg);
    sb.emplace(*sys);
    core::route_options opts;
    opts.workers = 2;
    opts.timeout = 10s;
    REQUIRE(!sb->add(
      "sq", [](int32_t x) { return x * x; }, opts));
    // Answers after the delay its argument names, in milliseconds; the
    // caller runs the worker of "slow_here" (it defers at once).
    for (auto caller_runs : {false, true}) {
      opts.caller_runs = caller_runs;
      REQUIRE(!sb->add(
        caller_runs ? "slow_here" : "slow",
        [](responder<int32_t> r, int32_t ms) {
          r.deliver_after(std::chrono::milliseconds{ms}, ms);
        },
        opts));
    }
  }

  ~blocking_fixture() {
    sb.reset();
  }
};

/// The outcome of one blocking call: the value or the error's code.
struct outcome {
  std::optional<int32_t> value;
  std::optional<error_code> code;
  std::string message;
  int runs = 0;
};

template <class Request>
outcome receive_int(Request&& req) {
  outcome out;
  std::forward<Request>(req).receive(
    [&](int32_t x) {
      ++out.runs;
      out.value = x;
    },
    [&](caf::error& err) {
      ++out.runs;
      out.code = code_of(err);
      out.message = describe(err);
    });
  return out;
}

/// The calling thread's id, printed.
std::string this_thread_id() {
  std::ostringstream out;
  out << std::this_thread::get_id();
  return out.str();
}

/// Adds `name`, whose handler answers the id of the thread it runs on.
void add_thread_route(router& sb, const std::string& name, bool caller_runs) {
  core::route_options opts;
  opts.caller_runs = caller_runs;
  REQUIRE(!sb.add(
    name, [](int32_t) { return this_thread_id(); }, opts));
}

/// Calls `name` from `self`; the thread its handler ran on.
std::string handler_thread(router& sb, caf::scoped_actor& self,
                           const std::string& name) {
  std::string result;
  sb.ref().call(self, name, int32_t{0})
    .receive([&](const std::string& id) { result = id; },
             [&](caf::error& err) { FAIL_CHECK(describe(err)); });
  return result;
}

} // namespace

TEST_CASE_METHOD(blocking_fixture, "a scoped_actor calls a route by name and "
                                   "through a handle and gets each value "
                                   "once") {
  caf::scoped_actor self{*sys};
  auto by_name = receive_int(sb->ref().call(self, "sq", int32_t{7}));
  CHECK(by_name.runs == 1);
  CHECK(by_name.value == 49);
  auto handle = sb->resolve("sq");
  REQUIRE(handle);
  for (int32_t i = 0; i < 100; ++i) {
    auto out = receive_int(handle->call(self, i));
    REQUIRE(out.runs == 1);
    CHECK(out.value == i * i);
  }
  auto routes = sb->list();
  REQUIRE(routes);
  for (auto& r : *routes)
    if (r.name == "sq")
      CHECK(r.completed == 101);
}

TEST_CASE_METHOD(blocking_fixture, "a blocking call past its deadline gets "
                                   "timeout and its late reply does not "
                                   "reach the next call, also when the "
                                   "caller runs the worker") {
  auto route = GENERATE(as<std::string>{}, "slow", "slow_here");
  INFO("route " << route);
  caf::scoped_actor self{*sys};
  auto start = std::chrono::steady_clock::now();
  auto late
    = receive_int(sb->ref().call(self, route, int32_t{300}).timeout(50ms));
  auto waited = std::chrono::steady_clock::now() - start;
  CHECK(late.runs == 1);
  CHECK(late.code == error_code::timeout);
  CHECK(waited >= 50ms);
  CHECK(waited < 250ms);
  // The next call outlives the late reply (300 ms) and must get its own.
  auto next = receive_int(sb->ref().call(self, route, int32_t{400}));
  CHECK(next.runs == 1);
  CHECK(next.value == 400);
}

TEST_CASE_METHOD(blocking_fixture, "a blocking call gets no_such_route for "
                                   "an unknown name and bad_request for a "
                                   "reply of other types") {
  caf::scoped_actor self{*sys};
  auto missing = receive_int(sb->ref().call(self, "nope", int32_t{1}));
  CHECK(missing.runs == 1);
  CHECK(missing.code == error_code::no_such_route);
  outcome wrong;
  sb->ref()
    .call(self, "sq", int32_t{3})
    .receive([&](const std::string&) { ++wrong.runs; },
             [&](caf::error& err) {
               ++wrong.runs;
               wrong.code = code_of(err);
               wrong.message = describe(err);
             });
  CHECK(wrong.runs == 1);
  CHECK(wrong.code == error_code::bad_request);
  CHECK(wrong.message.find("route 'sq'") != std::string::npos);
}

TEST_CASE_METHOD(blocking_fixture, "a blocking call leaves the actor's other "
                                   "messages in its mailbox") {
  caf::scoped_actor self{*sys};
  self->send(self, std::string{"mine"});
  auto out = receive_int(sb->ref().call(self, "sq", int32_t{2}));
  CHECK(out.value == 4);
  std::string got;
  self->receive([&](std::string& x) { got = x; },
                caf::after(std::chrono::seconds{5}) >> [] {});
  CHECK(got == "mine");
}

TEST_CASE_METHOD(blocking_fixture, "a blocking call runs the handler of an "
                                   "idle caller_runs route on the calling "
                                   "thread, and other handlers never") {
  add_thread_route(*sb, "here", true);
  add_thread_route(*sb, "there", false);
  caf::scoped_actor self{*sys};
  auto me = this_thread_id();
  // The first calls may find the fresh worker still starting on a
  // scheduler thread; once a call ran it here, it is idle at each return.
  int tries = 0;
  while (handler_thread(*sb, self, "here") != me && tries < 100)
    ++tries;
  REQUIRE(tries < 100);
  for (int i = 0; i < 20; ++i) {
    CHECK(handler_thread(*sb, self, "here") == me);
    auto there = handler_thread(*sb, self, "there");
    CHECK(!there.empty());
    CHECK(there != me);
  }
}
