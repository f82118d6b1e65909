// Route metrics: every answer counted once by outcome, latencies in the
// histogram, totals that survive restarts and never go down.

#include <stdexcept>
#include <thread>

#include <catch2/catch.hpp>

#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "actors/fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

core::route_stats stats_of(fixture& f, const std::string& name) {
  for (auto& x : f.sb->ref().stats())
    if (x.name == name)
      return x;
  FAIL("no stats for route " << name);
  return {};
}

uint64_t count(const core::route_stats& x, error_code code) {
  return x.outcomes[core::outcome_of(code)];
}

} // namespace

TEST_CASE("route metrics count every answer by outcome: 7 calls, 7 counted") {
  fixture f;
  REQUIRE(!f.add("echo", [](int32_t x) { return x; }));
  REQUIRE(!f.add("throws", [](int32_t) -> int32_t {
    throw std::runtime_error("no");
  }));
  core::route_options small;
  small.max_payload = 16;
  REQUIRE(!f.add("small", [](std::string x) { return x; }, small));
  std::vector<outcome_ptr> calls;
  for (int32_t i = 0; i < 4; ++i)
    calls.push_back(f.call("echo", caf::make_message(i)));
  for (int32_t i = 0; i < 2; ++i)
    calls.push_back(f.call("throws", caf::make_message(i)));
  // Refused at admission, before any worker: still counted, by its error.
  calls.push_back(f.call("small", caf::make_message(std::string(64, 'x'))));
  f.run();
  for (auto& c : calls)
    REQUIRE(c->replies == 1);
  auto echo = stats_of(f, "echo");
  CHECK(echo.requests() == 4);
  CHECK(echo.outcomes[core::outcome_ok] == 4);
  CHECK(echo.errors() == 0);
  auto throws = stats_of(f, "throws");
  CHECK(throws.requests() == 2);
  CHECK(count(throws, error_code::handler_failed) == 2);
  auto sm = stats_of(f, "small");
  CHECK(sm.requests() == 1);
  CHECK(count(sm, error_code::bad_request) == 1);
  // Refusals are not timed: the histogram holds what workers answered.
  CHECK(sm.timed() == 0);
  CHECK(echo.timed() == 4);
  CHECK(echo.in_flight == 0);
}

TEST_CASE("route metrics count overloaded refusals and the requests in flight") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.max_in_flight = 2;
  REQUIRE(!f.add("held",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  std::vector<outcome_ptr> calls;
  for (int32_t i = 0; i < 5; ++i)
    calls.push_back(f.call("held", caf::make_message(i)));
  f.run();
  auto during = stats_of(f, "held");
  CHECK(during.in_flight == 2);
  CHECK(count(during, error_code::overloaded) == 3);
  CHECK(during.outcomes[core::outcome_ok] == 0);
  for (auto& r : *held)
    r.deliver(1);
  f.run();
  auto after = stats_of(f, "held");
  CHECK(after.in_flight == 0);
  CHECK(after.outcomes[core::outcome_ok] == 2);
  CHECK(after.requests() == 5);
}

TEST_CASE("the latency histogram records the time from send to reply") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("later",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); }));
  auto res = f.call("later", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(held->size() == 1);
  // The deterministic clock moves only here: the latency is exactly 3 ms.
  f.advance(3ms);
  (*held)[0].deliver(1);
  f.run();
  REQUIRE(res->ok());
  auto x = stats_of(f, "later");
  REQUIRE(x.timed() == 1);
  CHECK(x.latency_sum_ns == 3'000'000);
  auto bucket = core::bucket_of(3'000'000);
  CHECK(core::latency_bounds_ns[bucket] == 5'000'000);
  CHECK(x.buckets[bucket] == 1);
  // One sample in (2.5 ms, 5 ms]: every quantile lies in that bucket.
  CHECK(x.quantile_ns(0.5) > 2'500'000);
  CHECK(x.quantile_ns(0.99) <= 5'000'000);
}

TEST_CASE("a deferred reply that misses its deadline counts as timeout") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.timeout = 10ms;
  REQUIRE(!f.add("slow",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  auto res = f.call("slow", caf::make_message(int32_t{1}));
  f.run();
  f.advance(11ms);
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  auto x = stats_of(f, "slow");
  CHECK(x.requests() == 1);
  CHECK(count(x, error_code::timeout) == 1);
}

TEST_CASE("a route with timed = false counts outcomes without a histogram") {
  fixture f;
  core::route_options opts;
  opts.timed = false;
  REQUIRE(!f.add("quiet", [](int32_t x) { return x; }, opts));
  auto res = f.call("quiet", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->ok());
  auto x = stats_of(f, "quiet");
  CHECK(x.outcomes[core::outcome_ok] == 1);
  CHECK(x.timed() == 0);
  CHECK(x.latency_sum_ns == 0);
}

TEST_CASE("route metrics keep a dead worker's counts and never go down") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("r", [held](responder<int32_t> r, int32_t x) {
    if (x == 0)
      held->push_back(r);
    else
      r.deliver(x);
  }));
  for (int32_t i = 1; i <= 3; ++i)
    f.call("r", caf::make_message(i));
  auto owed = f.call("r", caf::make_message(int32_t{0}));
  f.run();
  auto before = stats_of(f, "r");
  CHECK(before.outcomes[core::outcome_ok] == 3);
  caf::anon_send_exit(f.workers("r").at(0), caf::exit_reason::kill);
  f.run();
  REQUIRE(owed->replies == 1);
  auto after = stats_of(f, "r");
  CHECK(after.restarts == 1);
  CHECK(after.outcomes[core::outcome_ok] == 3);
  CHECK(count(after, error_code::worker_down) == 1);
  CHECK(after.requests() == 4);
  CHECK(after.timed() == 4);
  // The new worker's answers add to the old totals.
  REQUIRE(f.call("r", caf::make_message(int32_t{5})));
  f.run();
  CHECK(stats_of(f, "r").outcomes[core::outcome_ok] == 4);
}

TEST_CASE("route metrics are exact under calls from many threads") {
  caf::actor_system_config cfg;
  register_error_category(cfg);
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  router sb{sys};
  REQUIRE(!sb.ref().add("echo", [](int32_t x) { return x; },
                        [] {
                          core::route_options o;
                          o.workers = 3;
                          return o;
                        }()));
  constexpr int threads = 4;
  constexpr int per_thread = 500;
  std::vector<std::thread> callers;
  std::atomic<int> ok{0};
  for (int t = 0; t < threads; ++t)
    callers.emplace_back([&] {
      caf::scoped_actor self{sys};
      for (int i = 0; i < per_thread; ++i)
        self->request(sb.ref().registry(), 10s, call_atom::value,
                      std::string{"echo"}, int32_t{i})
          .receive([&](int32_t) { ++ok; }, [](caf::error&) {});
    });
  for (auto& c : callers)
    c.join();
  REQUIRE(ok == threads * per_thread);
  auto xs = sb.ref().stats();
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].outcomes[core::outcome_ok] == uint64_t{threads * per_thread});
  CHECK(xs[0].requests() == uint64_t{threads * per_thread});
  CHECK(xs[0].timed() == uint64_t{threads * per_thread});
}
