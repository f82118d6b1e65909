#include "switchboard/core/broadcast.hpp"

#include <catch2/catch.hpp>

#include "switchboard/core/consistent_hash.hpp"
#include "switchboard/core/least_loaded.hpp"
#include "switchboard/core/random_pick.hpp"
#include "switchboard/core/round_robin.hpp"

#include "pool_fixture.hpp"

using namespace switchboard::core;
using random_policy = switchboard::core::random_pick;
using switchboard::core::test::pool_fixture;

TEST_CASE("broadcast fans out to every worker") {
  broadcast policy;
  CHECK(policy.fan_out());
  CHECK(policy.kind() == policy_kind::broadcast);
}

TEST_CASE("broadcast is the only policy that fans out") {
  CHECK_FALSE(round_robin{}.fan_out());
  CHECK_FALSE(random_policy{}.fan_out());
  CHECK_FALSE(least_loaded{}.fan_out());
  CHECK_FALSE(consistent_hash{}.fan_out());
}

TEST_CASE("broadcast select returns the first worker for callers that ask") {
  pool_fixture pool{3};
  broadcast policy;
  CHECK(policy.select(pool.view(), 0) == 0);
  CHECK(policy.select(pool.view(), 99) == 0);
}
