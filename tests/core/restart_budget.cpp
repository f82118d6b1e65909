#include "switchboard/core/restart_budget.hpp"

#include <chrono>

#include <catch2/catch.hpp>

using namespace switchboard::core;
using namespace std::chrono_literals;

namespace {

// A fixed origin: tests pass explicit time points and never sleep.
const restart_budget::clock::time_point t0
  = restart_budget::clock::time_point{} + 1000s;

} // namespace

TEST_CASE("restart_budget allows max_restarts restarts within the window") {
  restart_budget budget{3, 10s};
  CHECK(budget.used(t0) == 0);
  CHECK(budget.try_restart(t0));
  CHECK(budget.try_restart(t0 + 1s));
  CHECK(budget.try_restart(t0 + 2s));
  CHECK(budget.used(t0 + 2s) == 3);
}

TEST_CASE("restart_budget refuses the restart after max_restarts") {
  restart_budget budget{3, 10s};
  REQUIRE(budget.try_restart(t0));
  REQUIRE(budget.try_restart(t0 + 1s));
  REQUIRE(budget.try_restart(t0 + 2s));
  CHECK_FALSE(budget.try_restart(t0 + 3s));
  CHECK_FALSE(budget.try_restart(t0 + 10s - 1ns));
  // A refused restart is not recorded.
  CHECK(budget.used(t0 + 10s - 1ns) == 3);
}

TEST_CASE("restart_budget allows again once the earliest restart ages out") {
  restart_budget budget{3, 10s};
  REQUIRE(budget.try_restart(t0));
  REQUIRE(budget.try_restart(t0 + 4s));
  REQUIRE(budget.try_restart(t0 + 6s));
  CHECK_FALSE(budget.try_restart(t0 + 9s));
  // A restart exactly one window old no longer counts.
  CHECK(budget.used(t0 + 10s) == 2);
  CHECK(budget.try_restart(t0 + 10s));
  // The second one has not aged out yet.
  CHECK_FALSE(budget.try_restart(t0 + 14s - 1ns));
  CHECK(budget.try_restart(t0 + 14s));
  CHECK(budget.used(t0 + 14s) == 3);
}

TEST_CASE("restart_budget counts only restarts within the window") {
  restart_budget budget{5, 10s};
  REQUIRE(budget.try_restart(t0));
  REQUIRE(budget.try_restart(t0 + 3s));
  REQUIRE(budget.try_restart(t0 + 7s));
  CHECK(budget.used(t0 + 7s) == 3);
  CHECK(budget.used(t0 + 10s - 1ns) == 3);
  CHECK(budget.used(t0 + 10s) == 2);
  CHECK(budget.used(t0 + 13s) == 1);
  CHECK(budget.used(t0 + 17s) == 0);
}

TEST_CASE("restart_budget recovers fully after a quiet window") {
  restart_budget budget{2, 1s};
  REQUIRE(budget.try_restart(t0));
  REQUIRE(budget.try_restart(t0));
  CHECK_FALSE(budget.try_restart(t0 + 500ms));
  auto later = t0 + 1h;
  CHECK(budget.used(later) == 0);
  CHECK(budget.try_restart(later));
  CHECK(budget.try_restart(later));
  CHECK_FALSE(budget.try_restart(later));
}

TEST_CASE("restart_budget with no restarts allowed refuses every restart") {
  restart_budget budget{0, 10s};
  CHECK_FALSE(budget.try_restart(t0));
  CHECK_FALSE(budget.try_restart(t0 + 1h));
  CHECK(budget.used(t0 + 1h) == 0);
}

TEST_CASE("restart_budget slides its window over a steady stream") {
  // One restart per second with 3 allowed per 10 s: the budget lets through
  // a burst of 3, then one every time the oldest ages out.
  restart_budget budget{3, 10s};
  int allowed = 0;
  for (int s = 0; s < 30; ++s)
    if (budget.try_restart(t0 + std::chrono::seconds{s}))
      ++allowed;
  // Allowed at 0, 1, 2, 10, 11, 12, 20, 21, 22.
  CHECK(allowed == 9);
  CHECK(budget.used(t0 + 29s) == 3);
  CHECK_FALSE(budget.try_restart(t0 + 29s));
  CHECK(budget.try_restart(t0 + 30s));
}
