// Per-peer metrics (`mesh::peer_stats`, `(sb_pstats)`): calls, replies and
// bytes each way, counted exactly on two real nodes over 127.0.0.1. Every
// wait is bounded; nothing sleeps.

#include <catch2/catch.hpp>

#include <caf/scoped_actor.hpp>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// Slow heartbeats: between calls the links stay quiet, so both ends of a
/// connection can be read with the same bytes on them.
mesh_options quiet() {
  mesh_options opts;
  opts.heartbeat = 2s;
  opts.peer_timeout = 20s;
  return opts;
}

/// The entry of `name` in `n`'s peer stats; an empty one if absent.
core::peer_stats stats_of(mesh_node& n, const std::string& name) {
  for (auto& x : n.net->peer_stats())
    if (x.name == name)
      return x;
  return {};
}

/// Polls (bounded) until `pred` holds.
template <class Pred>
bool eventually(Pred pred, caf::timespan timeout = 10s) {
  auto deadline = steady::now() + timeout;
  while (steady::now() < deadline)
    if (pred())
      return true;
  return pred();
}

} // namespace

TEST_CASE("peer stats count exactly the calls each way and the bytes on the wire") {
  mesh_node a{"A", quiet()}, b{"B", quiet()};
  REQUIRE(b.sb->add("echo", [](std::string x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("echo", 10s));
  REQUIRE(eventually([&] { return stats_of(b, "A").up; }));
  auto a0 = stats_of(a, "B");
  auto b0 = stats_of(b, "A");
  CHECK(a0.up);
  CHECK(a0.connects == 1);
  CHECK(a0.address == "127.0.0.1:" + std::to_string(b.port));
  CHECK(b0.address.empty());
  CHECK(a0.calls_out == 0);
  // The handshake and the advertisements already went over the wire.
  CHECK(a0.bytes_out > 0);
  CHECK(a0.bytes_in > 0);
  constexpr uint64_t n = 25;
  const std::string payload(1000, 'p');
  for (uint64_t i = 0; i < n; ++i)
    REQUIRE(string_of(a.call("echo", caf::make_message(payload))) == payload);
  auto a1 = stats_of(a, "B");
  auto b1 = stats_of(b, "A");
  CHECK(a1.calls_out == n);
  CHECK(a1.replies_in == n);
  CHECK(a1.calls_in == 0);
  CHECK(a1.replies_out == 0);
  CHECK(b1.calls_in == n);
  CHECK(b1.replies_out == n);
  CHECK(b1.calls_out == 0);
  CHECK(b1.replies_in == 0);
  // Each call carried the payload there and back.
  CHECK(a1.bytes_out - a0.bytes_out >= n * payload.size());
  CHECK(a1.bytes_in - a0.bytes_in >= n * payload.size());
  // One connection, counted at both ends: what A wrote, B read, and the
  // other way round, once nothing is on the way.
  uint64_t a_out = 0, b_in = 0, a_in = 0, b_out = 0;
  auto same = eventually([&] {
    auto x = stats_of(a, "B");
    auto y = stats_of(b, "A");
    a_out = x.bytes_out, a_in = x.bytes_in;
    b_out = y.bytes_out, b_in = y.bytes_in;
    return a_out == b_in && a_in == b_out;
  });
  INFO("A out " << a_out << ", B in " << b_in << "; A in " << a_in
                << ", B out " << b_out);
  CHECK(same);
}

TEST_CASE("peer stats keep a peer's counts after its link goes down") {
  mesh_node a{"A", quiet()};
  auto b = std::make_unique<mesh_node>("B", quiet());
  REQUIRE(b->sb->add("echo", [](std::string x) { return x; }) == caf::none);
  a.connect(*b);
  REQUIRE(a.net->wait_for_route("echo", 10s));
  for (int i = 0; i < 3; ++i)
    REQUIRE(string_of(a.call("echo", caf::make_message(std::string{"x"})))
            == "x");
  auto before = stats_of(a, "B");
  REQUIRE(before.calls_out == 3);
  b.reset();
  REQUIRE(eventually([&] { return !stats_of(a, "B").up; }));
  auto after = stats_of(a, "B");
  CHECK(after.name == "B");
  CHECK(after.connects == 1);
  CHECK(after.calls_out == 3);
  CHECK(after.replies_in == 3);
  CHECK(after.bytes_out >= before.bytes_out);
  CHECK(after.bytes_in >= before.bytes_in);
}

TEST_CASE("peer stats list a configured peer that never connected by its address") {
  mesh_node a{"A", quiet()};
  auto port = free_port();
  REQUIRE(port != 0);
  a.net->connect("127.0.0.1", port);
  auto address = "127.0.0.1:" + std::to_string(port);
  REQUIRE(eventually([&] { return a.net->peer_stats().size() == 1; }));
  auto xs = a.net->peer_stats();
  CHECK(xs[0].name.empty());
  CHECK(xs[0].address == address);
  CHECK_FALSE(xs[0].up);
  CHECK(xs[0].connects == 0);
  CHECK(xs[0].bytes_out == 0);
}

TEST_CASE("the front door answers (sb_pstats) with the node's peer stats") {
  mesh_node a{"A", quiet()}, b{"B", quiet()};
  REQUIRE(b.sb->add("echo", [](std::string x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("echo", 10s));
  REQUIRE(string_of(a.call("echo", caf::make_message(std::string{"x"})))
          == "x");
  caf::scoped_actor self{*b.sys};
  std::vector<core::peer_stats> xs;
  self->request(b.net->front_door(), 10s, peer_stats_atom::value)
    .receive([&](std::vector<core::peer_stats>& ys) { xs = std::move(ys); },
             [&](caf::error& err) { FAIL(describe(err)); });
  REQUIRE(xs.size() == 1);
  CHECK(xs[0].name == "A");
  CHECK(xs[0].up);
  CHECK(xs[0].calls_in == 1);
  CHECK(xs[0].replies_out == 1);
  CHECK(xs[0].bytes_in > 0);
}
