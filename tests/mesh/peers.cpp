#include <catch2/catch.hpp>

#include <algorithm>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// Checks that `n` still answers a local call.
void require_serving(mesh_node& n) {
  if (!n.route("ping"))
    REQUIRE(n.sb->add("ping", [](int32_t x) { return x; }) == caf::none);
  auto out = n.call("ping", caf::make_message(int32_t{5}));
  INFO(show(out));
  REQUIRE(out);
  CHECK(out->get_as<int32_t>(0) == 5);
}

} // namespace

TEST_CASE("peers reports each peer's name and address and whether it is connected") {
  auto nobody = free_port();
  REQUIRE(nobody != 0);
  mesh_node a{"A"}, b{"B"}, c{"C"};
  // Dialled out of name order; one target has nothing listening.
  a.connect(c);
  a.connect(b);
  a.net->connect("127.0.0.1", nobody);
  REQUIRE(a.net->wait_for_peers(2, 10s));
  REQUIRE(a.wait_for_log("unreachable", 10s));
  REQUIRE(a.sync_mesh());
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 3);
  // Sorted by name, then address: the never-connected target has no name.
  CHECK(ps[0].name.empty());
  CHECK(ps[0].address == "127.0.0.1:" + std::to_string(nobody));
  CHECK(!ps[0].connected);
  CHECK(!ps[0].last_error.empty());
  CHECK(ps[1].name == "B");
  CHECK(ps[1].address == "127.0.0.1:" + std::to_string(b.port));
  CHECK(ps[1].connected);
  CHECK(ps[1].last_error.empty());
  CHECK(ps[2].name == "C");
  CHECK(ps[2].address == "127.0.0.1:" + std::to_string(c.port));
  CHECK(ps[2].connected);
  // The dialled side lists the dialler by name, without an address.
  REQUIRE(b.net->wait_for_peers(1, 10s));
  auto on_b = b.net->peers();
  REQUIRE(on_b.size() == 1);
  CHECK(on_b[0].name == "A");
  CHECK(on_b[0].address.empty());
  CHECK(on_b[0].connected);
}

TEST_CASE("a peer with the node's own name is refused and both nodes keep serving") {
  mesh_node a{"A"}, twin{"A"};
  a.connect(twin);
  REQUIRE(a.wait_for_log("handshake refused", 10s));
  REQUIRE(a.sync_mesh());
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 1);
  CHECK(!ps[0].connected);
  CHECK(ps[0].address == "127.0.0.1:" + std::to_string(twin.port));
  INFO(ps[0].last_error);
  CHECK(ps[0].last_error.find("'A'") != std::string::npos);
  CHECK(twin.net->peers().empty());
  require_serving(a);
  require_serving(twin);
}

TEST_CASE("a second node with the name of a connected peer is refused") {
  mesh_node b{"B"}, a{"A"}, impostor{"A"};
  REQUIRE(b.sb->add("on_b", [](int32_t x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("on_b", 10s));
  impostor.connect(b);
  REQUIRE(impostor.wait_for_log("handshake refused", 10s));
  REQUIRE(impostor.sync_mesh());
  auto ps = impostor.net->peers();
  REQUIRE(ps.size() == 1);
  CHECK(!ps[0].connected);
  INFO(ps[0].last_error);
  CHECK(ps[0].last_error.find("'A'") != std::string::npos);
  auto on_b = b.net->peers();
  REQUIRE(on_b.size() == 1);
  CHECK(on_b[0].name == "A");
  // The first A is not disturbed.
  CHECK(a.call("on_b", caf::make_message(int32_t{3})));
  require_serving(impostor);
}

TEST_CASE("a node refuses a dialled peer whose name another connected peer has") {
  mesh_node a{"A"}, b1{"B"}, b2{"B"};
  REQUIRE(b1.sb->add("on_b1", [](int32_t x) { return x; }) == caf::none);
  a.connect(b1);
  REQUIRE(a.net->wait_for_route("on_b1", 10s));
  auto mark = a.logs->mark();
  a.connect(b2);
  auto b2_at = "127.0.0.1:" + std::to_string(b2.port);
  auto outcome = a.logs->wait_for_any(
    {"peer " + b2_at + " unreachable: handshake refused",
     "connected to peer 'B' at " + b2_at},
    10s, mark);
  INFO(a.logs->all());
  REQUIRE(outcome);
  CHECK(*outcome == 0);
  REQUIRE(a.sync_mesh());
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 2);
  auto connected = std::count_if(ps.begin(), ps.end(),
                                 [](auto& x) { return x.connected; });
  CHECK(connected == 1);
  CHECK(a.call("on_b1", caf::make_message(int32_t{3})));
}
