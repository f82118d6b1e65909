#include "switchboard/core/round_robin.hpp"

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_fixture.hpp"

using namespace switchboard::core;
using switchboard::core::test::pool_fixture;

TEST_CASE("round_robin visits every worker in pool order") {
  pool_fixture pool{5};
  round_robin policy;
  for (size_t i = 0; i < pool.size(); ++i)
    CHECK(policy.select(pool.view(), 0) == i);
}

TEST_CASE("round_robin wraps to the first worker after the last") {
  pool_fixture pool{3};
  round_robin policy;
  std::vector<size_t> picks;
  for (int i = 0; i < 7; ++i)
    picks.push_back(policy.select(pool.view(), 0));
  CHECK(picks == std::vector<size_t>{0, 1, 2, 0, 1, 2, 0});
}

TEST_CASE("round_robin ignores the routing key") {
  pool_fixture pool{4};
  round_robin policy;
  CHECK(policy.select(pool.view(), 3) == 0);
  CHECK(policy.select(pool.view(), 3) == 1);
  CHECK(policy.select(pool.view(), 0xFFFFFFFFFFFFFFFFull) == 2);
  CHECK(policy.select(pool.view(), 42) == 3);
}

TEST_CASE("round_robin ignores the workers' load") {
  pool_fixture pool{3};
  pool.set_in_flight(0, 1000);
  pool.set_in_flight(2, 7);
  round_robin policy;
  CHECK(policy.select(pool.view(), 0) == 0);
  CHECK(policy.select(pool.view(), 0) == 1);
  CHECK(policy.select(pool.view(), 0) == 2);
}

TEST_CASE("round_robin always picks the only worker of a single-worker pool") {
  pool_fixture pool{1};
  round_robin policy;
  for (int i = 0; i < 10; ++i)
    CHECK(policy.select(pool.view(), 0) == 0);
}

TEST_CASE("round_robin gives every worker the same count over many picks") {
  pool_fixture pool{7};
  round_robin policy;
  std::array<size_t, 7> counts{};
  for (int i = 0; i < 7 * 1000; ++i)
    ++counts.at(policy.select(pool.view(), 0));
  for (auto count : counts)
    CHECK(count == 1000);
}

TEST_CASE("round_robin stays exactly fair when two threads select at once") {
  constexpr size_t workers = 4;
  constexpr size_t picks_per_thread = 1000000;
  pool_fixture pool{workers};
  round_robin policy;
  std::atomic<bool> go{false};
  std::array<std::array<size_t, workers>, 2> counts{};
  auto run = [&](size_t thread_index) {
    // Spin until both threads exist, so that their selections overlap; the
    // main thread sets the flag right after starting them.
    while (!go.load(std::memory_order_acquire))
      std::this_thread::yield();
    for (size_t i = 0; i < picks_per_thread; ++i)
      ++counts[thread_index].at(policy.select(pool.view(), 0));
  };
  std::thread first{run, 0};
  std::thread second{run, 1};
  go.store(true, std::memory_order_release);
  first.join();
  second.join();
  // Every ticket is handed out once, so the 2 * 1000000 tickets split exactly.
  for (size_t w = 0; w < workers; ++w)
    CHECK(counts[0][w] + counts[1][w] == 2 * picks_per_thread / workers);
  size_t total = 0;
  for (auto& per_thread : counts)
    for (auto count : per_thread)
      total += count;
  CHECK(total == 2 * picks_per_thread);
}

TEST_CASE("round_robin reports its kind and does not fan out") {
  round_robin policy;
  CHECK(policy.kind() == policy_kind::round_robin);
  CHECK_FALSE(policy.fan_out());
}
