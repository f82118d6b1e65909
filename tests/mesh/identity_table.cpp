#include <catch2/catch.hpp>

#include "mesh/node_ids.hpp"
#include "switchboard/detail/identity_table.hpp"

using switchboard::detail::identity_table;
using switchboard::test::make_node;

TEST_CASE("identity_table refuses a second subject for a bound node id") {
  identity_table ids;
  auto a = make_node(1);
  REQUIRE(ids.bind(a, "alice"));
  CHECK_FALSE(ids.bind(a, "mallory"));
  CHECK(ids.subject_of(a) == "alice");
  CHECK_FALSE(ids.subject_of(make_node(2)));
}

TEST_CASE("identity_table keeps a binding until its last connection unbinds") {
  identity_table ids;
  auto a = make_node(1);
  REQUIRE(ids.bind(a, "alice"));
  REQUIRE(ids.bind(a, "alice"));
  ids.unbind(a);
  CHECK(ids.subject_of(a) == "alice");
  ids.unbind(a);
  CHECK_FALSE(ids.subject_of(a));
  CHECK(ids.size() == 0);
  // Free again: another subject may bind it now.
  CHECK(ids.bind(a, "bob"));
  // Unbinding an unknown node changes nothing.
  ids.unbind(make_node(3));
  CHECK(ids.size() == 1);
}
