#include "switchboard/core/random_pick.hpp"

#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_fixture.hpp"

using namespace switchboard::core;
using random_policy = switchboard::core::random_pick;
using switchboard::core::test::pool_fixture;

TEST_CASE("random always picks an index inside the pool") {
  random_policy policy;
  for (size_t n : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, size_t{64},
                   size_t{1000}}) {
    pool_fixture pool{n};
    size_t out_of_range = 0;
    for (int i = 0; i < 10000; ++i)
      if (policy.select(pool.view(), 0) >= n)
        ++out_of_range;
    INFO("pool size " << n);
    CHECK(out_of_range == 0);
  }
}

TEST_CASE("random always picks the only worker of a single-worker pool") {
  pool_fixture pool{1};
  random_policy policy;
  for (int i = 0; i < 1000; ++i)
    REQUIRE(policy.select(pool.view(), static_cast<uint64_t>(i)) == 0);
}

TEST_CASE("random spreads picks roughly evenly over the workers") {
  // 100000 draws over 4 workers: the expectation is 25000 per worker with a
  // standard deviation of about 137, so 20000..30000 never fails by chance.
  constexpr int draws = 100000;
  pool_fixture pool{4};
  random_policy policy;
  std::array<int, 4> counts{};
  for (int i = 0; i < draws; ++i)
    ++counts.at(policy.select(pool.view(), 0));
  for (size_t w = 0; w < counts.size(); ++w) {
    INFO("worker " << w << " got " << counts[w] << " of " << draws);
    CHECK(counts[w] >= draws / 5);
    CHECK(counts[w] <= draws * 3 / 10);
  }
}

TEST_CASE("random ignores the routing key") {
  // A key-driven policy would send one key to one worker every time.
  pool_fixture pool{4};
  random_policy policy;
  std::array<int, 4> counts{};
  for (int i = 0; i < 10000; ++i)
    ++counts.at(policy.select(pool.view(), 12345));
  for (auto count : counts)
    CHECK(count > 0);
}

TEST_CASE("random stays in range and uses every worker from several threads") {
  constexpr size_t workers = 3;
  constexpr int draws = 30000;
  pool_fixture pool{workers};
  random_policy policy;
  std::atomic<bool> go{false};
  std::array<std::array<int, workers + 1>, 2> counts{};
  auto run = [&](size_t thread_index) {
    while (!go.load(std::memory_order_acquire))
      std::this_thread::yield();
    for (int i = 0; i < draws; ++i) {
      auto pick = policy.select(pool.view(), 0);
      // Out-of-range picks land in the extra last bucket.
      ++counts[thread_index][pick < workers ? pick : workers];
    }
  };
  std::thread first{run, 0};
  std::thread second{run, 1};
  go.store(true, std::memory_order_release);
  first.join();
  second.join();
  for (auto& per_thread : counts) {
    CHECK(per_thread[workers] == 0);
    for (size_t w = 0; w < workers; ++w) {
      // Expectation 10000 per worker and thread, deviation about 82.
      CHECK(per_thread[w] >= 8000);
      CHECK(per_thread[w] <= 12000);
    }
  }
}

TEST_CASE("random reports its kind and does not fan out") {
  random_policy policy;
  CHECK(policy.kind() == policy_kind::random);
  CHECK_FALSE(policy.fan_out());
}
