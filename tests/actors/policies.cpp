#include <catch2/catch.hpp>

#include <atomic>
#include <map>
#include <set>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// A handler factory whose workers answer their own index (0, 1, ...).
handler numbered_workers() {
  auto next = std::make_shared<std::atomic<int32_t>>(0);
  return per_worker([next] {
    auto id = next->fetch_add(1);
    return [id](int32_t) { return id; };
  });
}

core::route_options pool_of(size_t n, core::policy_kind policy) {
  core::route_options opts;
  opts.workers = n;
  opts.policy = policy;
  return opts;
}

} // namespace

TEST_CASE("round_robin hands calls to the workers in turn") {
  fixture f;
  REQUIRE(!f.add("rr", numbered_workers(),
                 pool_of(3, core::policy_kind::round_robin)));
  std::vector<int32_t> seen;
  for (int i = 0; i < 6; ++i) {
    auto res = f.call("rr", caf::make_message(int32_t{0}));
    f.run();
    seen.push_back(res->as<int32_t>());
  }
  CHECK(seen == std::vector<int32_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("random spreads calls over every worker") {
  fixture f;
  REQUIRE(!f.add("rnd", numbered_workers(),
                 pool_of(3, core::policy_kind::random)));
  std::set<int32_t> seen;
  for (int i = 0; i < 200; ++i) {
    auto res = f.call("rnd", caf::make_message(int32_t{0}));
    f.run();
    seen.insert(res->as<int32_t>());
  }
  CHECK(seen == std::set<int32_t>{0, 1, 2});
}

TEST_CASE("least_loaded avoids a worker that holds requests") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  auto next = std::make_shared<int32_t>(0);
  REQUIRE(!f.add("ll", per_worker([held, next] {
                   auto id = (*next)++;
                   return [held, id](responder<int32_t> r, int32_t hold) {
                     if (hold != 0)
                       held->push_back(r);
                     else
                       r.deliver(id);
                   };
                 }),
                 pool_of(2, core::policy_kind::least_loaded)));
  // Park one request at some worker; every later call must go elsewhere.
  auto parked = f.call("ll", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(held->size() == 1);
  std::set<int32_t> seen;
  for (int i = 0; i < 4; ++i) {
    auto res = f.call("ll", caf::make_message(int32_t{0}));
    f.run();
    seen.insert(res->as<int32_t>());
  }
  CHECK(seen.size() == 1);
  (*held)[0].deliver(-1);
  f.run();
  CHECK(parked->as<int32_t>() == -1);
}

TEST_CASE("consistent_hash sends equal keys to the same worker") {
  fixture f;
  auto opts = pool_of(4, core::policy_kind::consistent_hash);
  opts.hash_key = 0;
  auto next = std::make_shared<std::atomic<int32_t>>(0);
  REQUIRE(!f.add("ch", per_worker([next] {
                   auto id = next->fetch_add(1);
                   return [id](std::string, int32_t) { return id; };
                 }),
                 opts));
  std::map<std::string, std::set<int32_t>> owners;
  std::set<int32_t> used;
  for (int round = 0; round < 3; ++round)
    for (int k = 0; k < 40; ++k) {
      auto key = "user-" + std::to_string(k);
      auto res = f.call("ch", caf::make_message(key, int32_t{round}));
      f.run();
      owners[key].insert(res->as<int32_t>());
      used.insert(res->as<int32_t>());
    }
  for (auto& [key, workers] : owners)
    CHECK(workers.size() == 1);
  CHECK(used.size() == 4);
}

TEST_CASE("broadcast in all mode answers one vector with every worker's reply") {
  fixture f;
  auto opts = pool_of(3, core::policy_kind::broadcast);
  opts.reply = core::broadcast_reply::all;
  REQUIRE(!f.add("all", numbered_workers(), opts));
  auto res = f.call("all", caf::make_message(int32_t{0}));
  f.run();
  REQUIRE(res->ok());
  auto replies = res->as<std::vector<caf::message>>();
  REQUIRE(replies.size() == 3);
  for (int32_t i = 0; i < 3; ++i)
    CHECK(replies[static_cast<size_t>(i)].get_as<int32_t>(0) == i);
}

TEST_CASE("broadcast in first mode answers the first reply only") {
  fixture f;
  auto opts = pool_of(3, core::policy_kind::broadcast);
  opts.reply = core::broadcast_reply::first;
  auto calls = std::make_shared<int>(0);
  REQUIRE(!f.add("first",
                 [calls](int32_t x) {
                   ++*calls;
                   return x;
                 },
                 opts));
  auto res = f.call("first", caf::make_message(int32_t{9}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 9);
  CHECK(*calls == 3);
  auto routes = f.list();
  CHECK(routes[0].in_flight == 0);
}

TEST_CASE("a broadcast whose worker never answers times out and leaves no gatherer behind") {
  fixture f;
  auto opts = pool_of(2, core::policy_kind::broadcast);
  opts.timeout = std::chrono::milliseconds{100};
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  auto next = std::make_shared<int32_t>(0);
  REQUIRE(!f.add("b", per_worker([held, next] {
                   auto id = (*next)++;
                   return [held, id](responder<int32_t> r, int32_t x) {
                     if (id == 0)
                       held->push_back(r); // never answers
                     else
                       r.deliver(x);
                   };
                 }),
                 opts));
  auto before = f.sys->registry().running();
  auto res = f.call("b", caf::make_message(int32_t{1}));
  f.run();
  CHECK(res->replies == 0);
  f.advance(std::chrono::milliseconds{100});
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  // The silent worker's deferred reply expired, so the gatherer got all
  // its answers and stopped; the caller stopped too.
  f.run();
  CHECK(f.sys->registry().running() == before);
  CHECK(f.list()[0].in_flight == 0);
}
