#include "switchboard/core/route_event.hpp"

#include <catch2/catch.hpp>

using namespace switchboard::core;

TEST_CASE("route changes are named added, removed and replaced") {
  CHECK(to_string(route_change::added) == "added");
  CHECK(to_string(route_change::removed) == "removed");
  CHECK(to_string(route_change::replaced) == "replaced");
  CHECK(to_string(static_cast<route_change>(99)) == "unknown");
}

TEST_CASE("route_event defaults to an added, empty route") {
  route_event event;
  CHECK(event.change == route_change::added);
  CHECK(event.route.name.empty());
  CHECK(event.route.workers == 0);
  CHECK(event.route.policy == policy_kind::round_robin);
  CHECK(event.route.in_flight == 0);
  CHECK(event.route.completed == 0);
  CHECK(event.route.failed == 0);
  CHECK(event.route.restarts == 0);
}
