#include "switchboard/core/route_options.hpp"

#include <chrono>
#include <string>

#include <catch2/catch.hpp>

using namespace switchboard::core;
using namespace std::chrono_literals;

TEST_CASE("route_options defaults are the documented ones") {
  route_options x;
  CHECK(x.workers == 1);
  CHECK(x.policy == policy_kind::round_robin);
  CHECK(x.timeout == 5s);
  CHECK(x.max_in_flight == 10000);
  CHECK(x.hash_key == 0);
  CHECK(x.reply == broadcast_reply::all);
  CHECK(x.max_restarts == 5);
  CHECK(x.restart_window == 10s);
}

TEST_CASE("route_options defaults validate clean") {
  CHECK(validate(route_options{}).empty());
}

TEST_CASE("route_options with zero workers names the workers field") {
  route_options x;
  x.workers = 0;
  auto msg = validate(x);
  CHECK_FALSE(msg.empty());
  CHECK(msg.find("workers") != std::string::npos);
}

TEST_CASE("route_options with a non-positive timeout names the timeout field") {
  route_options x;
  SECTION("zero") {
    x.timeout = 0s;
  }
  SECTION("negative") {
    x.timeout = -1ms;
  }
  auto msg = validate(x);
  CHECK_FALSE(msg.empty());
  CHECK(msg.find("timeout") != std::string::npos);
}

TEST_CASE("route_options with a non-positive max_in_flight names that field") {
  route_options x;
  SECTION("zero") {
    x.max_in_flight = 0;
  }
  SECTION("negative") {
    x.max_in_flight = -5;
  }
  auto msg = validate(x);
  CHECK_FALSE(msg.empty());
  CHECK(msg.find("max_in_flight") != std::string::npos);
}

TEST_CASE("route_options with a non-positive restart window names that "
          "field") {
  route_options x;
  SECTION("zero") {
    x.restart_window = 0s;
  }
  SECTION("negative") {
    x.restart_window = -1s;
  }
  auto msg = validate(x);
  CHECK_FALSE(msg.empty());
  CHECK(msg.find("restart_window") != std::string::npos);
}

TEST_CASE("route_options accepts the smallest usable values") {
  route_options x;
  x.workers = 1;
  x.timeout = 1ns;
  x.max_in_flight = 1;
  x.restart_window = 1ns;
  x.max_restarts = 0;
  CHECK(validate(x).empty());
}

TEST_CASE("route_options accepts every policy and reply mode") {
  for (auto kind : {policy_kind::round_robin, policy_kind::random,
                    policy_kind::least_loaded, policy_kind::consistent_hash,
                    policy_kind::broadcast})
    for (auto reply : {broadcast_reply::all, broadcast_reply::first}) {
      route_options x;
      x.policy = kind;
      x.reply = reply;
      x.workers = 8;
      CHECK(validate(x).empty());
    }
}

TEST_CASE("a broadcast route needs max_in_flight of at least its workers") {
  route_options x;
  x.policy = policy_kind::broadcast;
  x.workers = 8;
  x.max_in_flight = 4;
  auto problem = validate(x);
  CHECK(problem.find("max_in_flight") != std::string::npos);
  CHECK(problem.find("broadcast") != std::string::npos);
  x.max_in_flight = 8;
  CHECK(validate(x).empty());
}

TEST_CASE("route_options default max_payload is 1 MiB and zero is refused") {
  route_options x;
  CHECK(x.max_payload == 1048576);
  x.max_payload = 0;
  auto msg = validate(x);
  CHECK(msg.find("max_payload") != std::string::npos);
}
