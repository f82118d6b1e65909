#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

void kill(fixture& f, const caf::actor& worker) {
  caf::anon_send_exit(worker, caf::exit_reason::kill);
  f.run();
}

} // namespace

TEST_CASE("a worker that dies is replaced and the route keeps serving") {
  fixture f;
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }, opts));
  auto before = f.workers("sq");
  REQUIRE(before.size() == 2);
  kill(f, before[0]);
  auto after = f.workers("sq");
  REQUIRE(after.size() == 2);
  CHECK(after[0].address() != before[0].address());
  CHECK(after[1].address() == before[1].address());
  CHECK(f.list()[0].restarts == 1);
  CHECK(f.list()[0].completed == 0);
  for (int i = 0; i < 2; ++i) {
    auto res = f.call("sq", caf::make_message(int32_t{4}));
    f.run();
    CHECK(res->as<int32_t>() == 16);
  }
}

TEST_CASE("requests queued at a dead worker fail fast with worker_down") {
  fixture f;
  auto started = std::make_shared<int>(0);
  REQUIRE(!f.add("q", [started](int32_t x) {
    ++*started;
    return x;
  }));
  auto worker = f.workers("q").at(0);
  auto handle = f.sb->resolve("q");
  REQUIRE(handle);
  std::vector<outcome_ptr> results;
  for (int i = 0; i < 3; ++i)
    results.push_back(f.call(*handle, caf::make_message(int32_t{i})));
  // Let only the callers run: the requests sit in the worker's mailbox.
  for (int i = 0; i < 3; ++i)
    f.sched->run_once();
  // An urgent kill overtakes the queued requests, as a kill from a
  // supervisor or a crash would.
  caf::anon_send<caf::message_priority::high>(
    worker, caf::exit_msg{caf::actor_addr{}, caf::exit_reason::kill});
  f.run();
  CHECK(*started == 0);
  for (auto& res : results) {
    REQUIRE(res->replies == 1);
    CHECK(res->code() == error_code::worker_down);
  }
  CHECK(f.list()[0].in_flight == 0);
}

TEST_CASE("a worker that stops itself answers its queued requests with worker_down") {
  fixture f;
  auto started = std::make_shared<int>(0);
  REQUIRE(!f.add("quitter", [started](responder<int32_t> r, int32_t x) {
    ++*started;
    if (x == 0)
      r.self()->quit(caf::exit_reason::unhandled_exception);
    else
      r.deliver(x);
  }));
  auto handle = f.sb->resolve("quitter");
  REQUIRE(handle);
  std::vector<outcome_ptr> results;
  for (int32_t i = 0; i < 3; ++i)
    results.push_back(f.call(*handle, caf::make_message(i)));
  f.run();
  CHECK(*started == 1);
  for (auto& res : results) {
    REQUIRE(res->replies == 1);
    CHECK(res->code() == error_code::worker_down);
  }
  CHECK(f.list()[0].restarts == 1);
  CHECK(f.list()[0].in_flight == 0);
}

TEST_CASE("replies owed by a dead worker fail fast with worker_down") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("held",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); }));
  auto res = f.call("held", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(held->size() == 1);
  kill(f, f.workers("held").at(0));
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::worker_down);
  // Delivering through the dead worker's responder is harmless.
  (*held)[0].deliver(1);
  f.run();
  CHECK(res->replies == 1);
}

TEST_CASE("after the restart budget is spent the route answers no_worker") {
  fixture f;
  core::route_options opts;
  opts.max_restarts = 1;
  opts.restart_window = 1min;
  REQUIRE(!f.add("brittle", [](int32_t x) { return x; }, opts));
  kill(f, f.workers("brittle").at(0));
  REQUIRE(f.workers("brittle").size() == 1);
  kill(f, f.workers("brittle").at(0));
  CHECK(f.workers("brittle").empty());
  auto res = f.call("brittle", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::no_worker);
  CHECK(f.list()[0].workers == 0);
}

TEST_CASE("the restart budget refills once old restarts leave the window") {
  fixture f;
  core::route_options opts;
  opts.max_restarts = 1;
  opts.restart_window = 10s;
  opts.workers = 2;
  REQUIRE(!f.add("r", [](int32_t x) { return x; }, opts));
  kill(f, f.workers("r").at(0));
  REQUIRE(f.workers("r").size() == 2);
  f.advance(11s);
  kill(f, f.workers("r").at(0));
  CHECK(f.workers("r").size() == 2);
  CHECK(f.list()[0].restarts == 2);
}

TEST_CASE("a member actor that dies leaves the pool and its requests get worker_down") {
  fixture f;
  auto silent = f.sys->spawn([]() -> caf::behavior {
    return {[](int32_t) -> caf::result<int32_t> {
      return caf::delegated<int32_t>{}; // never answers
    }};
  });
  auto other = f.sys->spawn([]() -> caf::behavior {
    return {[](int32_t x) { return x; }};
  });
  REQUIRE(!f.add("m", actors({silent, other})));
  auto res = f.call("m", caf::make_message(int32_t{1}));
  f.run();
  CHECK(res->replies == 0);
  caf::anon_send_exit(silent, caf::exit_reason::kill);
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::worker_down);
  CHECK(f.list()[0].workers == 1);
  auto next = f.call("m", caf::make_message(int32_t{5}));
  f.run();
  CHECK(next->as<int32_t>() == 5);
  caf::anon_send_exit(other, caf::exit_reason::kill);
  f.run();
}

TEST_CASE("route counts survive the restart of the workers that made them") {
  fixture f;
  REQUIRE(!f.add("c", [](int32_t x) { return x; }));
  auto res = f.call("c", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->ok());
  kill(f, f.workers("c").at(0));
  auto routes = f.list();
  CHECK(routes[0].restarts == 1);
  CHECK(routes[0].completed == 1);
}

TEST_CASE("a worker that died leaves no reference to itself behind") {
  // Regression: workers monitor the registry and never took the monitor
  // back, so the registry kept an entry (with the worker's address) for
  // every worker that ever died: with workers restarted all the time, node
  // memory grew without bound (the chaos soak saw ~40 KB/s).
  fixture f;
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("w", [](int32_t x) { return x; }, opts));
  std::vector<caf::actor_addr> dead;
  for (int i = 0; i < 3; ++i) {
    auto worker = f.workers("w").at(0);
    dead.push_back(worker.address());
    kill(f, worker);
  }
  REQUIRE(f.workers("w").size() == 2);
  for (auto& addr : dead) {
    auto ctrl = addr.get();
    REQUIRE(ctrl != nullptr);
    CHECK(ctrl->strong_refs.load() == 0);
    // Only `dead` itself still refers to the worker.
    CHECK(ctrl->weak_refs.load() == 1);
  }
}

TEST_CASE("a call whose policy picks a stopped worker still in the pool goes "
          "to a live worker of the pool") {
  fixture f;
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }, opts));
  auto workers = f.workers("sq");
  REQUIRE(workers.size() == 2);
  auto registry = caf::actor_cast<caf::abstract_actor*>(f.sb->registry());
  auto not_registry = [registry](caf::resumable* x) {
    return x != dynamic_cast<caf::resumable*>(registry);
  };
  // The worker stops; the registry, not run, keeps it in the pool.
  caf::anon_send_exit(workers[0], caf::exit_reason::kill);
  f.sched->run_jobs_filtered(not_registry);
  REQUIRE(f.workers("sq").size() == 2);
  // Round-robin picks each slot in turn: both calls get an answer.
  for (int i = 0; i < 2; ++i) {
    auto res = f.call("sq", caf::make_message(int32_t{3}));
    f.sched->run_jobs_filtered(not_registry);
    REQUIRE(res->replies == 1);
    CHECK(res->as<int32_t>() == 9);
  }
  f.run();
  CHECK(f.list()[0].restarts == 1);
}

TEST_CASE("a call that finds the worker stopped because its router went gets "
          "shutting_down and not worker_down") {
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto worker = f.workers("sq").at(0);
  auto handle = f.sb->resolve("sq");
  REQUIRE(handle);
  auto registry = caf::actor_cast<caf::abstract_actor*>(f.sb->registry());
  auto not_registry = [registry](caf::resumable* x) {
    return x != dynamic_cast<caf::resumable*>(registry);
  };
  // What a worker sees first when the router goes: CAF sends the monitors'
  // down messages before the registry's own cleanup closes its routes, and
  // with real threads a caller can come between the two.
  caf::anon_send(worker, caf::down_msg{f.sb->registry().address(),
                                       caf::exit_reason::user_shutdown});
  f.sched->run_jobs_filtered(not_registry);
  auto res = f.call(*handle, caf::make_message(int32_t{3}));
  f.sched->run_jobs_filtered(not_registry);
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::shutting_down);
}
