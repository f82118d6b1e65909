#include <catch2/catch.hpp>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("a route two hops away is called through the node in between") {
  mesh_node a{"A"}, b{"B"}, c{"C"};
  REQUIRE(a.sb->add("a_local", [] { return std::string{"A"}; }) == caf::none);
  REQUIRE(c.sb->add("c_only", [](const std::string& x) {
    return "C saw " + x;
  }) == caf::none);
  // A line: A and C each dial B; A and C never meet.
  a.connect(b);
  c.connect(b);
  REQUIRE(a.net->wait_for_route("c_only", 10s));
  auto out = a.call("c_only", caf::make_message(std::string{"A's call"}));
  CHECK(string_of(out) == "C saw A's call");
  // And back the other way.
  REQUIRE(c.net->wait_for_route("a_local", 10s));
  CHECK(string_of(c.call("a_local", caf::message{})) == "A");
  SECTION("list shows the remote route with its origin and the next hop") {
    auto remote = a.route("c_only");
    REQUIRE(remote);
    CHECK(remote->kind == "remote");
    CHECK(remote->origin == "C");
    CHECK(remote->via == "B");
    auto local = a.route("a_local");
    REQUIRE(local);
    CHECK(local->kind != "remote");
    CHECK(local->origin == "A");
    CHECK(local->via.empty());
    auto on_b = b.route("c_only");
    REQUIRE(on_b);
    CHECK(on_b->origin == "C");
    CHECK(on_b->via == "C");
  }
  SECTION("A's peers are B only") {
    auto ps = a.net->peers();
    REQUIRE(ps.size() == 1);
    CHECK(ps[0].name == "B");
  }
}

TEST_CASE("a route the peer adds after connecting becomes callable") {
  mesh_node a{"A"}, b{"B"};
  a.connect(b);
  REQUIRE(a.net->wait_for_peers(1, 10s));
  CHECK(failure(a.call("late", caf::make_message(int32_t{1})))
        == error_code::no_such_route);
  REQUIRE(b.sb->add("late", [](int32_t x) { return x + 1; }) == caf::none);
  REQUIRE(a.net->wait_for_route("late", 10s));
  auto out = a.call("late", caf::make_message(int32_t{1}));
  INFO(show(out));
  REQUIRE(out);
  REQUIRE(out->match_elements<int32_t>());
  CHECK(out->get_as<int32_t>(0) == 2);
}

TEST_CASE("a route the peer removes disappears and calls get no_such_route") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("gone", [](int32_t x) { return x; }) == caf::none);
  REQUIRE(b.sb->add("stays", [](int32_t x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("gone", 10s));
  REQUIRE(a.net->wait_for_route("stays", 10s));
  REQUIRE(a.call("gone", caf::make_message(int32_t{1})));
  auto mark = a.logs->mark();
  REQUIRE(b.sb->remove("gone") == caf::none);
  REQUIRE(a.wait_for_log("route 'gone' no longer reachable", 10s, mark));
  auto out = a.call("gone", caf::make_message(int32_t{1}));
  INFO(show(out));
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::no_such_route);
  CHECK(!a.route("gone"));
  // Only that route left.
  CHECK(a.call("stays", caf::make_message(int32_t{1})));
  CHECK(a.route("stays"));
}

TEST_CASE("a route removed on the far end of a line disappears on the near end") {
  mesh_node a{"A"}, b{"B"}, c{"C"};
  REQUIRE(c.sb->add("far", [](int32_t x) { return x; }) == caf::none);
  a.connect(b);
  c.connect(b);
  REQUIRE(a.net->wait_for_route("far", 10s));
  auto mark = a.logs->mark();
  REQUIRE(c.sb->remove("far") == caf::none);
  REQUIRE(a.wait_for_log("route 'far' no longer reachable", 10s, mark));
  auto out = a.call("far", caf::make_message(int32_t{1}));
  INFO(show(out));
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::no_such_route);
}
