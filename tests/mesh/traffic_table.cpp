#include <catch2/catch.hpp>

#include "mesh/node_ids.hpp"
#include "switchboard/detail/traffic_table.hpp"

using switchboard::detail::connection_bytes;
using switchboard::detail::traffic_table;
using switchboard::test::make_node;

TEST_CASE("traffic_table sums a claimed node's live connections under its peer name") {
  traffic_table t;
  auto b = make_node(1);
  connection_bytes c1, c2;
  t.attach(b, &c1);
  c1.add_in(100);
  c1.add_out(40);
  // Bytes before the claim count: the handshake is part of the traffic.
  t.claim(b, "B");
  t.attach(b, &c2);
  c2.add_in(5);
  c2.add_out(7);
  auto x = t.bytes_of("B");
  CHECK(x.in == 105);
  CHECK(x.out == 47);
  CHECK(t.bytes_of("C").in == 0);
  CHECK(t.bytes_of("").in == 0);
}

TEST_CASE("traffic_table keeps a peer's bytes after its connections close") {
  traffic_table t;
  auto b = make_node(1);
  connection_bytes c1;
  t.attach(b, &c1);
  t.claim(b, "B");
  c1.add_out(300);
  t.release(b);
  // Released while the connection lives: it still counts until it closes.
  c1.add_out(1);
  CHECK(t.bytes_of("B").out == 301);
  t.detach(b, &c1);
  CHECK(t.bytes_of("B").out == 301);
  CHECK(t.nodes() == 0);
  // A new node under the same name (the peer restarted) adds to it.
  auto b2 = make_node(2);
  connection_bytes c2;
  t.attach(b2, &c2);
  t.claim(b2, "B");
  c2.add_out(9);
  CHECK(t.bytes_of("B").out == 310);
}

TEST_CASE("traffic_table forgets connections of nodes nobody claimed") {
  traffic_table t;
  auto cli = make_node(3);
  connection_bytes c;
  t.attach(cli, &c);
  c.add_in(1000);
  CHECK(t.nodes() == 1);
  t.detach(cli, &c);
  CHECK(t.nodes() == 0);
  CHECK(t.bytes_of("").in == 0);
  // Detaching twice or an unknown node changes nothing.
  t.detach(cli, &c);
  t.release(cli);
  CHECK(t.nodes() == 0);
}

TEST_CASE("traffic_table keeps a node claimed until every claim is released") {
  traffic_table t;
  auto b = make_node(1);
  t.claim(b, "B");
  t.claim(b, "B");
  // Another name for a claimed node changes nothing.
  t.claim(b, "X");
  t.release(b);
  connection_bytes c;
  t.attach(b, &c);
  c.add_in(3);
  CHECK(t.bytes_of("B").in == 3);
  CHECK(t.bytes_of("X").in == 0);
  t.detach(b, &c);
  t.release(b);
  CHECK(t.nodes() == 0);
  CHECK(t.bytes_of("B").in == 3);
}
