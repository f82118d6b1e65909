// The node boundary as a hostile plain CAF client sees it: what a node
// publishes is its front door, whose protocol is call, list, hello, ping.
#include <catch2/catch.hpp>

#include <atomic>

#include <caf/io/middleman.hpp>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// A plain CAF program on its own actor system, connected to a node.
struct plain_client {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  caf::actor remote;

  explicit plain_client(uint16_t port) {
    cfg.set("scheduler.max-threads", 2);
    configure_mesh(cfg);
    sys.emplace(cfg);
    auto x = sys->middleman().remote_actor("127.0.0.1", port);
    if (x)
      remote = std::move(*x);
  }

  ~plain_client() {
    remote = nullptr;
  }

  /// Sends `msg` as a request and returns the reply (whatever its types)
  /// or error.
  caf::expected<caf::message> ask(caf::message msg) {
    caf::scoped_actor self{*sys};
    caf::expected<caf::message> result{caf::error{}};
    self->request(remote, std::chrono::seconds{10}, std::move(msg))
      .receive([&](caf::unit_t) { result = caf::message{}; },
               [&](caf::error& err) {
                 // A reply of any other type arrives as an error that
                 // carries it.
                 if (err == caf::sec::unexpected_response)
                   result = err.context();
                 else
                   result = std::move(err);
               });
    return result;
  }
};

/// How often `needle` occurs in `text`.
size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("a plain CAF client cannot remove a route stop the router or replace "
          "the mesh") {
  mesh_node a{"A"};
  REQUIRE(a.sb->add("echo", [](const std::string& x) { return x; })
          == caf::none);
  plain_client c{a.port};
  REQUIRE(c.remote);
  auto removed
    = c.ask(caf::make_message(remove_atom::value, std::string{"echo"}));
  CHECK(failure(removed) == error_code::forbidden);
  auto stopped = c.ask(caf::make_message(shutdown_atom::value));
  CHECK(failure(stopped) == error_code::forbidden);
  auto hijacked = c.ask(
    caf::make_message(mesh_atom::value, caf::actor{}, std::string{"X"}));
  CHECK(failure(hijacked) == error_code::forbidden);
  // Everything still stands: the route answers a remote plain call...
  auto out = c.ask(caf::make_message(call_atom::value, std::string{"echo"},
                                     std::string{"hi"}));
  CHECK(string_of(out) == "hi");
  // ...and a peer can still join under the node's real name.
  mesh_node b{"B"};
  b.connect(a);
  REQUIRE(b.net->wait_for_peers(1, 10s));
  REQUIRE(b.net->wait_for_route("echo", 10s));
  CHECK(string_of(b.call("echo", caf::make_message(std::string{"x"}))) == "x");
  // Refusals were logged, each once.
  CHECK(a.wait_for_log("refused", 5s));
  CHECK(count_of(a.logs->all(), "sb_remove") == 1);
}

TEST_CASE("a refused message is logged once however often it is sent") {
  mesh_node a{"A"};
  plain_client c{a.port};
  REQUIRE(c.remote);
  for (int i = 0; i < 20; ++i)
    CHECK(failure(c.ask(caf::make_message(shutdown_atom::value)))
          == error_code::forbidden);
  CHECK(count_of(a.logs->all(), "refused") == 1);
}

TEST_CASE("an exit message from the network does not stop the front door") {
  mesh_node a{"A"};
  REQUIRE(a.sb->add("echo", [](const std::string& x) { return x; })
          == caf::none);
  {
    plain_client c{a.port};
    REQUIRE(c.remote);
    caf::anon_send_exit(c.remote, caf::exit_reason::kill);
    caf::anon_send_exit(c.remote, caf::exit_reason::user_shutdown);
    // The exits travel first; the call after them must still be served.
    auto out = c.ask(caf::make_message(call_atom::value, std::string{"echo"},
                                       std::string{"still"}));
    CHECK(string_of(out) == "still");
  }
  plain_client again{a.port};
  REQUIRE(again.remote);
  CHECK(string_of(again.ask(caf::make_message(
          call_atom::value, std::string{"echo"}, std::string{"up"})))
        == "up");
}

TEST_CASE("replies to remote plain calls come from the front door and never "
          "reveal a worker") {
  mesh_node a{"A"};
  REQUIRE(a.sb->add("echo", [](const std::string& x) { return x; })
          == caf::none);
  plain_client c{a.port};
  REQUIRE(c.remote);
  auto senders = std::make_shared<std::vector<caf::strong_actor_ptr>>();
  auto done = std::make_shared<async_call>();
  auto remote = c.remote;
  c.sys->spawn([=](caf::event_based_actor* self) {
    auto pending = std::make_shared<int>(3);
    auto check_done = [=] {
      if (--*pending == 0) {
        done->finish(caf::message{});
        self->quit();
      }
    };
    auto on_error = [=](caf::error&) {
      senders->push_back(self->current_sender());
      check_done();
    };
    self
      ->request(remote, std::chrono::seconds{10}, call_atom::value,
                std::string{"echo"}, std::string{"x"})
      .then(
        [=](std::string&) {
          senders->push_back(self->current_sender());
          check_done();
        },
        on_error);
    self
      ->request(remote, std::chrono::seconds{10}, call_atom::value,
                std::string{"nope"}, std::string{"x"})
      .then([=](std::string&) { check_done(); }, on_error);
    self->request(remote, std::chrono::seconds{10}, list_atom::value)
      .then(
        [=](std::vector<core::route_info>&) {
          senders->push_back(self->current_sender());
          check_done();
        },
        on_error);
    return caf::behavior{[](int32_t) {}};
  });
  REQUIRE(done->wait(15s));
  REQUIRE(senders->size() == 3);
  for (auto& s : *senders)
    CHECK(s == caf::actor_cast<caf::strong_actor_ptr>(remote));
}

TEST_CASE("the front door answers a ping probe") {
  mesh_node a{"A"};
  plain_client c{a.port};
  REQUIRE(c.remote);
  auto out = c.ask(caf::make_message(ping_atom::value));
  REQUIRE(out);
  CHECK(out->match_elements<ping_atom>());
}

TEST_CASE("a remote call with an invalid route name is a bad request") {
  mesh_node a{"A"};
  plain_client c{a.port};
  REQUIRE(c.remote);
  auto out = c.ask(caf::make_message(
    call_atom::value, std::string{"a\nforged line"}, std::string{"x"}));
  CHECK(failure(out) == error_code::bad_request);
}

TEST_CASE("a hello whose link lives on another node is refused") {
  mesh_node a{"A"}, b{"B"};
  plain_client c{a.port};
  REQUIRE(c.remote);
  // The client offers B's front door as "its" link: the handshake must
  // name an actor of the node that sends it.
  auto other = c.sys->middleman().remote_actor("127.0.0.1", b.port);
  REQUIRE(other);
  auto out
    = c.ask(caf::make_message(hello_atom::value, std::string{"C"}, *other));
  CHECK(failure(out) == error_code::forbidden);
  REQUIRE(a.sync_mesh());
  CHECK(a.net->peers().empty());
}

TEST_CASE("without TLS a node refuses to listen on a non-loopback address") {
  mesh_node a{"A"};
  for (auto host : {"0.0.0.0", "::", "192.0.2.1", "example.org"}) {
    INFO(host);
    auto port = a.net->listen(0, host);
    REQUIRE(!port);
    CHECK(code_of(port.error()) == error_code::forbidden);
    CHECK(describe(port.error()).find("without TLS") != std::string::npos);
  }
}

TEST_CASE("an insecure node may try a non-loopback address") {
  mesh_options opts;
  opts.insecure = true;
  mesh_node a{"A", opts};
  // 192.0.2.1 (TEST-NET-1) is on no interface here: the bind fails, but
  // for CAF's reason, not protected mode's.
  auto port = a.net->listen(0, "192.0.2.1");
  REQUIRE(!port);
  CHECK(code_of(port.error()) != error_code::forbidden);
}

TEST_CASE(
  "a configured peer wins over an impostor that dialled in under its name") {
  auto b_port = free_port();
  REQUIRE(b_port != 0);
  mesh_node a{"A"};
  // A is configured to dial B, which is down.
  a.net->connect("127.0.0.1", b_port);
  // Meanwhile an impostor calls itself B and dials A.
  mesh_node impostor{"B"};
  REQUIRE(impostor.sb->add("r", [](int32_t) { return std::string{"impostor"}; })
          == caf::none);
  impostor.connect(a);
  REQUIRE(a.net->wait_for_route("r", 10s));
  // The real B comes back on its port.
  mesh_node b{"B", {}, nullptr, b_port};
  REQUIRE(b.port == b_port);
  REQUIRE(b.sb->add("r", [](int32_t) { return std::string{"B"}; })
          == caf::none);
  auto replaced = a.wait_for_log("replaced by the configured peer", 15s);
  INFO(a.logs->all());
  REQUIRE(replaced);
  REQUIRE(a.net->wait_for_peers(1, 10s));
  // Every call now reaches the real B (wait until the impostor's route
  // left A's table, bounded).
  auto deadline = steady::now() + 10s;
  std::string last;
  while (steady::now() < deadline) {
    last = string_of(a.call("r", caf::make_message(int32_t{1})));
    if (last == "B")
      break;
  }
  CHECK(last == "B");
  for (int i = 0; i < 20; ++i)
    CHECK(string_of(a.call("r", caf::make_message(int32_t{1}))) == "B");
}
