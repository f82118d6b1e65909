#include "switchboard/core/mesh_table.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace switchboard::core;

namespace {

std::vector<uint64_t> links_of(const std::vector<next_hop>& xs) {
  std::vector<uint64_t> result;
  for (auto& x : xs)
    result.push_back(x.link);
  return result;
}

using path = std::vector<std::string>;

} // namespace

TEST_CASE("mesh_table advertises local routes with a path of the node alone") {
  mesh_table t{"A"};
  t.set_local({"echo", "size"});
  auto xs = t.adverts_for(1);
  REQUIRE(xs.size() == 2);
  CHECK(xs[0] == advert{"echo", {"A"}});
  CHECK(xs[1] == advert{"size", {"A"}});
}

TEST_CASE("mesh_table forwards a route served only by a peer to that peer") {
  mesh_table t{"A"};
  t.set_link(7, "B", {{"far", {"B", "C"}}});
  auto hops = t.next_hops("far");
  REQUIRE(hops.size() == 1);
  CHECK(hops[0].link == 7);
  CHECK(hops[0].path == path{"B", "C"});
  CHECK(t.next_hops("nowhere").empty());
}

TEST_CASE("mesh_table prefers a local route over any peer's") {
  mesh_table t{"A"};
  t.set_local({"echo"});
  t.set_link(1, "B", {{"echo", {"B"}}});
  CHECK(t.next_hops("echo").empty());
  CHECK(t.remote().count("echo") == 0);
}

TEST_CASE("mesh_table shares a route among the peers with the shortest path") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B"}}});
  t.set_link(2, "C", {{"r", {"C"}}});
  t.set_link(3, "D", {{"r", {"D", "B"}}});
  CHECK(links_of(t.next_hops("r")) == std::vector<uint64_t>{1, 2});
}

TEST_CASE("mesh_table ignores adverts whose path runs through the node") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B", "A"}}, {"s", {"B", "C", "A", "D"}}});
  CHECK(t.next_hops("r").empty());
  CHECK(t.next_hops("s").empty());
  CHECK(t.remote().empty());
}

TEST_CASE("mesh_table ignores adverts whose path does not start at the peer") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"C"}}, {"s", {}}});
  CHECK(t.remote().empty());
}

TEST_CASE("mesh_table passes a learned route on with the node prepended") {
  mesh_table t{"B"};
  t.set_local({"mine"});
  t.set_link(1, "C", {{"far", {"C"}}});
  t.set_link(2, "A", {});
  auto xs = t.adverts_for(2);
  REQUIRE(xs.size() == 2);
  CHECK(xs[0] == advert{"far", {"B", "C"}});
  CHECK(xs[1] == advert{"mine", {"B"}});
}

TEST_CASE("mesh_table never offers a peer a route that runs through it") {
  mesh_table t{"B"};
  t.set_link(1, "C", {{"far", {"C"}}});
  t.set_link(2, "A", {{"other", {"A", "D"}}});
  auto to_c = t.adverts_for(1);
  REQUIRE(to_c.size() == 1);
  CHECK(to_c[0] == advert{"other", {"B", "A", "D"}});
  auto to_a = t.adverts_for(2);
  REQUIRE(to_a.size() == 1);
  CHECK(to_a[0] == advert{"far", {"B", "C"}});
}

TEST_CASE("mesh_table offers a longer path when the shortest one runs through the peer") {
  mesh_table t{"B"};
  t.set_link(1, "C", {{"r", {"C"}}});
  t.set_link(2, "D", {{"r", {"D", "E", "F"}}});
  auto to_c = t.adverts_for(1);
  REQUIRE(to_c.size() == 1);
  CHECK(to_c[0] == advert{"r", {"B", "D", "E", "F"}});
}

TEST_CASE("mesh_table forgets every route of a dropped link") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B"}}, {"s", {"B", "C"}}});
  t.set_link(2, "C", {{"s", {"C"}}});
  t.drop_link(1);
  CHECK(t.next_hops("r").empty());
  CHECK(links_of(t.next_hops("s")) == std::vector<uint64_t>{2});
  t.drop_link(2);
  CHECK(t.remote().empty());
}

TEST_CASE("mesh_table replaces a link's adverts wholesale") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B"}}});
  t.set_link(1, "B", {{"s", {"B"}}});
  CHECK(t.next_hops("r").empty());
  CHECK(t.next_hops("s").size() == 1);
}

TEST_CASE("mesh_table keeps two links to the same peer as two next hops") {
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B"}}});
  t.set_link(2, "B", {{"r", {"B"}}});
  CHECK(links_of(t.next_hops("r")) == std::vector<uint64_t>{1, 2});
  t.drop_link(1);
  CHECK(links_of(t.next_hops("r")) == std::vector<uint64_t>{2});
}

TEST_CASE("mesh_table converges on a three-node line and withdraws on loss") {
  // A - B - C, C serves "far". Run the exchange by hand: each node's
  // adverts for a link become the far side's input for that link.
  mesh_table a{"A"}, b{"B"}, c{"C"};
  c.set_local({"far"});
  // Links: A-B is id 1 on both sides, B-C id 2.
  auto exchange = [&] {
    for (int round = 0; round < 3; ++round) {
      b.set_link(2, "C", c.adverts_for(2));
      c.set_link(2, "B", b.adverts_for(2));
      a.set_link(1, "B", b.adverts_for(1));
      b.set_link(1, "A", a.adverts_for(1));
    }
  };
  exchange();
  REQUIRE(a.next_hops("far").size() == 1);
  CHECK(a.next_hops("far")[0].path == path{"B", "C"});
  // C never learns its own route back from B.
  CHECK(c.remote().empty());
  // C goes away: B drops the link, A learns the withdrawal from B.
  b.drop_link(2);
  a.set_link(1, "B", b.adverts_for(1));
  CHECK(a.next_hops("far").empty());
  CHECK(b.next_hops("far").empty());
}

TEST_CASE("mesh_table ignores adverts whose path visits a node twice") {
  // Found by fuzz_mesh_table: such a path became a next hop (and was
  // advertised on) as if it were a way to the route.
  mesh_table t{"A"};
  t.set_link(1, "B", {{"r", {"B", "C", "B"}}, {"s", {"B", "C", "D", "C"}}});
  CHECK(t.next_hops("r").empty());
  CHECK(t.next_hops("s").empty());
  t.set_link(1, "B", {{"r", {"B", "C", "B"}}, {"r", {"B", "D", "E"}}});
  auto hops = t.next_hops("r");
  REQUIRE(hops.size() == 1);
  CHECK(hops[0].path == path{"B", "D", "E"});
}

TEST_CASE("mesh_table ignores adverts of route names no node may have") {
  mesh_table t{"A"};
  t.set_link(1, "B",
             {{"ok", {"B"}},
              {"", {"B"}},
              {"bad\nname", {"B"}},
              {"\u202Eevil", {"B"}},
              {std::string(256, 'x'), {"B"}}});
  auto remote = t.remote();
  REQUIRE(remote.size() == 1);
  CHECK(remote.count("ok") == 1);
  auto xs = t.adverts_for(2);
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].route == "ok");
}
