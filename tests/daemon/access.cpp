// Identities and access rules with the real binary: certificates made at
// test time by tests/daemon/make_certs.sh (CNs n1, n2, client, mallory from
// ca1; rogue from ca2). Every wait is bounded; nothing sleeps.

#include <catch2/catch.hpp>

#include <memory>

#include "certs.hpp"
#include "daemon_process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

const std::string rules = R"([[allow]]
identity = "client"
call = ["echo"]

[[allow]]
identity = "n*"
call = ["*"]
peer = true
)";

} // namespace

TEST_CASE(
  "under TLS a node may join the mesh only under its certificate's name") {
  certs c;
  daemon_process n1{c.s.write("n1.toml", c.node("n1", "n1"))};
  // A node that calls itself "n9" but holds n2's certificate.
  daemon_process liar{c.s.write("liar.toml", c.node("n9", "n2", n1.port()))};
  REQUIRE(n1.proc->wait_for_err("its certificate names 'n2'", 20s));
  REQUIRE(liar.proc->wait_for_err("unreachable", 20s));
  CHECK(liar.proc->err_so_far().find("connected to peer") == std::string::npos);
  auto listing = c.as("client", n1, {"routes"});
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("n9.secret") == std::string::npos);
}

TEST_CASE("with [[allow]] rules a certificate holder calls only the routes its "
          "rules name") {
  certs c;
  daemon_process n1{c.s.write("n1.toml", c.node("n1", "n1", {}, rules))};
  auto ok = c.as("client", n1, {"call", "echo", "hi"});
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "hi");
  auto denied = c.as("client", n1, {"call", "n1.secret", "x"});
  CHECK(denied.exit_code == 1);
  CHECK(denied.err.find("forbidden") != std::string::npos);
  // An identity no rule names may do nothing, not even list the routes.
  auto stranger = c.as("mallory", n1, {"call", "echo", "x"});
  CHECK(stranger.exit_code == 1);
  CHECK(stranger.err.find("forbidden") != std::string::npos);
  auto stranger_list = c.as("mallory", n1, {"routes"});
  CHECK(stranger_list.exit_code == 1);
  // Each refusal was logged, naming the identity.
  CHECK(n1.proc->wait_for_err("('mallory')", 10s));
}

TEST_CASE(
  "with [[allow]] rules only identities with peer = true join the mesh") {
  certs c;
  daemon_process n1{c.s.write("n1.toml", c.node("n1", "n1", {}, rules))};
  daemon_process n2{c.s.write("n2.toml", c.node("n2", "n2", n1.port()))};
  REQUIRE(n2.proc->wait_for_err("connected to peer 'n1'", 20s));
  // "client" may call echo but not peer.
  daemon_process client_node{
    c.s.write("cn.toml", c.node("client", "client", n1.port()))};
  REQUIRE(n1.proc->wait_for_err("may not join the mesh", 20s));
  REQUIRE(client_node.proc->wait_for_err("unreachable", 20s));
  // n2's routes reached n1; the refused node's did not.
  auto listing = c.as("n2", n1, {"routes"});
  CHECK(listing.out.find("n2.secret") != std::string::npos);
  CHECK(listing.out.find("client.secret") == std::string::npos);
}

TEST_CASE("[[allow]] without [tls] is refused by check-config at the rule") {
  scratch s;
  auto path = s.write("n.toml", "[node]\nname = \"n\"\nlisten = "
                                "\"127.0.0.1:0\"\n\n"
                                  + rules);
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK(res.err.find("n.toml:") != std::string::npos);
  CHECK(res.err.find("[tls]") != std::string::npos);
}
