#include "switchboard/core/policy.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_fixture.hpp"

using namespace switchboard::core;
using switchboard::core::test::pool_fixture;

namespace {

const std::vector<std::pair<policy_kind, std::string_view>> all_kinds = {
  {policy_kind::round_robin, "round_robin"},
  {policy_kind::random, "random"},
  {policy_kind::least_loaded, "least_loaded"},
  {policy_kind::consistent_hash, "consistent_hash"},
  {policy_kind::broadcast, "broadcast"},
};

} // namespace

TEST_CASE("policy kinds are named as the configuration spells them") {
  for (auto& [kind, name] : all_kinds)
    CHECK(to_string(kind) == name);
}

TEST_CASE("parse_policy_kind reads back every name to_string produces") {
  for (auto& [kind, name] : all_kinds) {
    INFO(name);
    auto parsed = parse_policy_kind(to_string(kind));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == kind);
  }
}

TEST_CASE("parse_policy_kind refuses names that are not policies") {
  for (std::string_view name :
       {"", "unknown", "Round_Robin", "round-robin", "roundrobin",
        "round_robin ", " random", "least", "broadcasts", "hash"}) {
    INFO("'" << std::string{name} << "'");
    CHECK_FALSE(parse_policy_kind(name).has_value());
  }
}

TEST_CASE("make_policy creates a policy of the requested kind") {
  for (auto& [kind, name] : all_kinds) {
    INFO(name);
    auto policy = make_policy(kind);
    REQUIRE(policy != nullptr);
    CHECK(policy->kind() == kind);
    CHECK(policy->fan_out() == (kind == policy_kind::broadcast));
  }
}

TEST_CASE("make_policy round-trips through the policy's name") {
  for (auto& [kind, name] : all_kinds) {
    INFO(name);
    auto parsed = parse_policy_kind(name);
    REQUIRE(parsed.has_value());
    auto policy = make_policy(*parsed);
    REQUIRE(policy != nullptr);
    CHECK(to_string(policy->kind()) == name);
  }
}

TEST_CASE("make_policy returns a fresh policy each time") {
  pool_fixture pool{3};
  auto first = make_policy(policy_kind::round_robin);
  auto second = make_policy(policy_kind::round_robin);
  REQUIRE(first != nullptr);
  REQUIRE(second != nullptr);
  CHECK(first.get() != second.get());
  // Each round_robin has its own rotation.
  CHECK(first->select(pool.view(), 0) == 0);
  CHECK(first->select(pool.view(), 0) == 1);
  CHECK(second->select(pool.view(), 0) == 0);
}

TEST_CASE("every policy selects an index inside the pool") {
  pool_fixture pool{4};
  pool.set_in_flight(1, 3);
  for (auto& [kind, name] : all_kinds) {
    INFO(name);
    auto policy = make_policy(kind);
    REQUIRE(policy != nullptr);
    size_t out_of_range = 0;
    for (uint64_t key = 0; key < 1000; ++key)
      if (policy->select(pool.view(), key) >= pool.size())
        ++out_of_range;
    CHECK(out_of_range == 0);
  }
}
