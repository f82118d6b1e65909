#include "switchboard/core/least_loaded.hpp"

#include <array>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_fixture.hpp"

using namespace switchboard::core;
using switchboard::core::test::pool_fixture;

TEST_CASE("least_loaded picks the worker with the fewest requests in flight") {
  pool_fixture pool{5};
  pool.set_in_flight(0, 9);
  pool.set_in_flight(1, 4);
  pool.set_in_flight(2, 7);
  pool.set_in_flight(3, 2);
  pool.set_in_flight(4, 5);
  least_loaded policy;
  // Whatever the rotating start, the unique minimum wins.
  for (int i = 0; i < 10; ++i)
    CHECK(policy.select(pool.view(), 0) == 3);
}

TEST_CASE("least_loaded picks an idle worker over busy ones") {
  pool_fixture pool{4};
  pool.set_in_flight(0, 3);
  pool.set_in_flight(1, 3);
  pool.set_in_flight(2, 0);
  pool.set_in_flight(3, 1);
  least_loaded policy;
  for (int i = 0; i < 8; ++i)
    CHECK(policy.select(pool.view(), 0) == 2);
}

TEST_CASE("least_loaded finds the minimum when it is the last worker") {
  pool_fixture pool{4};
  pool.set_in_flight(0, 5);
  pool.set_in_flight(1, 6);
  pool.set_in_flight(2, 7);
  pool.set_in_flight(3, 1);
  least_loaded policy;
  for (int i = 0; i < 8; ++i)
    CHECK(policy.select(pool.view(), 0) == 3);
}

TEST_CASE("least_loaded rotates among equally loaded workers") {
  pool_fixture pool{4};
  least_loaded policy;
  SECTION("all idle") {
    std::vector<size_t> picks;
    for (int i = 0; i < 8; ++i)
      picks.push_back(policy.select(pool.view(), 0));
    CHECK(picks == std::vector<size_t>{0, 1, 2, 3, 0, 1, 2, 3});
  }
  SECTION("all equally busy") {
    for (size_t i = 0; i < pool.size(); ++i)
      pool.set_in_flight(i, 6);
    // Ties go to the first tied worker after the rotating start.
    std::vector<size_t> picks;
    for (int i = 0; i < 8; ++i)
      picks.push_back(policy.select(pool.view(), 0));
    CHECK(picks == std::vector<size_t>{0, 1, 2, 3, 0, 1, 2, 3});
    std::array<int, 4> counts{};
    for (int i = 0; i < 400; ++i)
      ++counts.at(policy.select(pool.view(), 0));
    for (auto count : counts)
      CHECK(count == 100);
  }
}

TEST_CASE("least_loaded shares requests among tied workers, not the first") {
  pool_fixture pool{4};
  pool.set_in_flight(0, 8);
  pool.set_in_flight(1, 2);
  pool.set_in_flight(2, 8);
  pool.set_in_flight(3, 2);
  least_loaded policy;
  std::array<int, 4> counts{};
  for (int i = 0; i < 400; ++i)
    ++counts.at(policy.select(pool.view(), 0));
  CHECK(counts[0] == 0);
  CHECK(counts[2] == 0);
  // Tied workers 1 and 3 each follow one busy worker in the rotation, so
  // they split the picks evenly.
  CHECK(counts[1] == 200);
  CHECK(counts[3] == 200);
}

TEST_CASE("least_loaded never picks a busier worker while tied ones exist") {
  pool_fixture pool{5};
  pool.set_in_flight(0, 1);
  pool.set_in_flight(1, 4);
  pool.set_in_flight(2, 1);
  pool.set_in_flight(3, 1);
  pool.set_in_flight(4, 3);
  least_loaded policy;
  std::array<int, 5> counts{};
  for (int i = 0; i < 500; ++i)
    ++counts.at(policy.select(pool.view(), 0));
  CHECK(counts[1] == 0);
  CHECK(counts[4] == 0);
  CHECK(counts[0] > 0);
  CHECK(counts[2] > 0);
  CHECK(counts[3] > 0);
  CHECK(counts[0] + counts[2] + counts[3] == 500);
}

TEST_CASE("least_loaded reads the live counters on every selection") {
  pool_fixture pool{3};
  pool.set_in_flight(0, 5);
  pool.set_in_flight(1, 1);
  pool.set_in_flight(2, 5);
  least_loaded policy;
  CHECK(policy.select(pool.view(), 0) == 1);
  pool.set_in_flight(1, 10);
  pool.set_in_flight(2, 0);
  CHECK(policy.select(pool.view(), 0) == 2);
  pool.set_in_flight(2, 20);
  pool.set_in_flight(0, 4);
  CHECK(policy.select(pool.view(), 0) == 0);
}

TEST_CASE("least_loaded spreads a burst as a dispatcher bumps the counters") {
  // Mimics a dispatcher: select, then count the request as in flight.
  pool_fixture pool{3};
  least_loaded policy;
  std::array<int64_t, 3> in_flight{};
  for (int i = 0; i < 30; ++i) {
    auto pick = policy.select(pool.view(), 0);
    pool.set_in_flight(pick, ++in_flight.at(pick));
  }
  CHECK(in_flight == std::array<int64_t, 3>{10, 10, 10});
}

TEST_CASE("least_loaded always picks the only worker of a single-worker pool") {
  pool_fixture pool{1};
  pool.set_in_flight(0, 42);
  least_loaded policy;
  for (int i = 0; i < 5; ++i)
    CHECK(policy.select(pool.view(), 0) == 0);
}

TEST_CASE("least_loaded reports its kind and does not fan out") {
  least_loaded policy;
  CHECK(policy.kind() == policy_kind::least_loaded);
  CHECK_FALSE(policy.fan_out());
}
