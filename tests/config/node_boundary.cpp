// The node boundary in the configuration: [node] insecure, protected mode,
// [[allow]] rules and the [mesh] limits on what one peer may cost.

#include "switchboard/config/node_config.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard::config;
using namespace switchboard::test;
using Catch::Matchers::Contains;

namespace {

/// A `[tls]` table whose files the reader does not open.
constexpr const char* tls_table = R"(
[tls]
certificate = "/etc/sb/node.pem"
key = "/etc/sb/node.key"
ca = "/etc/sb/ca.pem"
)";

} // namespace

// -- protected mode ----------------------------------------------------------

TEST_CASE("a listen on 0.0.0.0 without [tls] is refused at the listen value "
          "saying why") {
  auto x = only_problem("[node]\nlisten = \"0.0.0.0:7700\"\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message, Contains("node.listen '0.0.0.0:7700'"));
  CHECK_THAT(x.message, Contains("not a loopback address"));
  CHECK_THAT(x.message, Contains("plain TCP has no authentication"));
  CHECK_THAT(x.message, Contains("[tls]"));
  CHECK_THAT(x.message, Contains("insecure = true"));
}

TEST_CASE("a listen on :: or a host name without [tls] is refused") {
  CHECK(pos(only_problem("[node]\nlisten = \"[::]:7700\"\n")) == "2:10");
  CHECK(pos(only_problem("[node]\nlisten = \"10.1.2.3:0\"\n")) == "2:10");
  CHECK(pos(only_problem("\n[node]\nlisten = \"edge-1.example:1\"\n"))
        == "3:10");
}

TEST_CASE("a listen on loopback needs neither [tls] nor insecure") {
  for (auto listen : {"127.0.0.1:0", "127.9.9.9:7700", "[::1]:7700",
                      "localhost:7700"})
    CHECK(parse_ok("[node]\nlisten = \"" + std::string{listen} + "\"\n")
            .listen.has_value());
}

TEST_CASE("insecure = true lets a node listen beyond loopback without [tls]") {
  auto cfg = parse_ok("[node]\nlisten = \"0.0.0.0:7700\"\ninsecure = true\n");
  CHECK(cfg.insecure);
  REQUIRE(cfg.listen);
  CHECK(cfg.listen->host == "0.0.0.0");
  CHECK(cfg.listen_position.line == 2);
  CHECK(cfg.listen_position.column == 10);
}

TEST_CASE("insecure = false keeps protected mode on") {
  auto x = only_problem(
    "[node]\ninsecure = false\nlisten = \"0.0.0.0:7700\"\n");
  CHECK(pos(x) == "3:10");
}

TEST_CASE("with [tls] a node listens anywhere without insecure") {
  auto cfg = parse_ok(std::string{"[node]\nlisten = \"0.0.0.0:7700\"\n"}
                      + tls_table);
  CHECK_FALSE(cfg.insecure);
  CHECK(cfg.tls.has_value());
}

TEST_CASE("insecure defaults to false and must be a boolean") {
  CHECK_FALSE(parse_ok("").insecure);
  auto x = only_problem("[node]\ninsecure = \"yes\"\n");
  CHECK(pos(x) == "2:12");
  CHECK(x.message == "node.insecure must be a boolean, not a string");
}

// -- [[allow]] ----------------------------------------------------------------

TEST_CASE("[[allow]] rules are read in document order with their positions") {
  auto cfg = parse_ok(std::string{tls_table} + R"(
[[allow]]
identity = "billing-*"
call = ["invoice.*", "echo"]

[[allow]]
identity = "node-?"
peer = true
)");
  REQUIRE(cfg.allow.size() == 2);
  CHECK(cfg.allow[0].identity == "billing-*");
  CHECK(cfg.allow[0].call == std::vector<std::string>{"invoice.*", "echo"});
  CHECK_FALSE(cfg.allow[0].peer);
  CHECK(cfg.allow[0].position.line == 7);
  CHECK(cfg.allow[1].identity == "node-?");
  CHECK(cfg.allow[1].call.empty());
  CHECK(cfg.allow[1].peer);
  CHECK(cfg.allow[1].position.line == 11);
}

TEST_CASE("[[allow]] without [tls] is refused at the rule") {
  auto x = only_problem("[[allow]]\nidentity = \"a\"\ncall = [\"echo\"]\n");
  CHECK(pos(x) == "1:1");
  CHECK_THAT(x.message, Contains("[[allow]] needs [tls]"));
  CHECK_THAT(x.message, Contains("certificates"));
}

TEST_CASE("an [[allow]] without identity is refused at its table") {
  auto x = only_problem(std::string{tls_table} + "[[allow]]\npeer = true\n");
  CHECK(pos(x) == "6:1");
  CHECK_THAT(x.message, Contains("needs identity"));
}

TEST_CASE("an empty identity or call entry is refused at the value") {
  auto x = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"\"\n");
  CHECK(pos(x) == "7:12");
  CHECK(x.message == "allow.identity must not be empty");
  auto y = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"a\"\ncall = [\"x\", \"\"]\n");
  CHECK(pos(y) == "8:14");
  CHECK(y.message == "allow.call entry must not be empty");
}

TEST_CASE("allow values of the wrong type name their type") {
  auto x = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"a\"\ncall = \"echo\"\n");
  CHECK(pos(x) == "8:8");
  CHECK_THAT(x.message, Contains("allow.call must be an array"));
  auto y = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"a\"\npeer = 1\n");
  CHECK(pos(y) == "8:8");
  CHECK(y.message == "allow.peer must be a boolean, not an integer");
  auto z = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"a\"\ncall = [1]\n");
  CHECK(pos(z) == "8:9");
  CHECK_THAT(z.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an unknown key in [[allow]] is refused at the key") {
  auto x = only_problem(std::string{tls_table}
                        + "[[allow]]\nidentity = \"a\"\nroutes = [\"x\"]\n");
  CHECK(pos(x) == "8:1");
  CHECK_THAT(x.message, Contains("unknown key 'routes' in [[allow]]"));
}

TEST_CASE("a single [allow] table instead of [[allow]] is refused") {
  auto x = only_problem(std::string{tls_table} + "[allow]\nidentity = \"a\"\n");
  CHECK_THAT(x.message, Contains("[[allow]]"));
}

// -- [mesh] limits --------------------------------------------------------------

TEST_CASE("the [mesh] limits have their defaults") {
  auto cfg = parse_ok("[mesh]\n");
  CHECK(cfg.mesh.max_batch_bytes == 4 * 1024 * 1024);
  CHECK(cfg.mesh.link_max_in_flight == 10000);
  CHECK(cfg.mesh.max_advert_routes == 100000);
}

TEST_CASE("mesh.max_batch_bytes lies in [64KiB, 1GiB]") {
  CHECK(parse_ok("[mesh]\nmax_batch_bytes = \"64KiB\"\n").mesh.max_batch_bytes
        == 64 * 1024);
  CHECK(parse_ok("[mesh]\nmax_batch_bytes = \"1GiB\"\n").mesh.max_batch_bytes
        == 1024ull * 1024 * 1024);
  auto low = only_problem("[mesh]\nmax_batch_bytes = \"65535B\"\n");
  CHECK(pos(low) == "2:19");
  CHECK(low.message
        == "mesh.max_batch_bytes '65535B' must be at least 64KiB");
  auto high = only_problem("[mesh]\nmax_batch_bytes = \"1025MiB\"\n");
  CHECK(high.message
        == "mesh.max_batch_bytes '1025MiB' must be at most 1GiB");
  auto bad = only_problem("[mesh]\nmax_batch_bytes = 65536\n");
  CHECK(bad.message == "mesh.max_batch_bytes must be a string, not an integer");
}

TEST_CASE("mesh.link_max_in_flight and max_advert_routes lie in [1, 1000000]") {
  auto cfg = parse_ok(
    "[mesh]\nlink_max_in_flight = 1000000\nmax_advert_routes = 1\n");
  CHECK(cfg.mesh.link_max_in_flight == 1000000);
  CHECK(cfg.mesh.max_advert_routes == 1);
  auto x = only_problem("[mesh]\nlink_max_in_flight = 0\n");
  CHECK(pos(x) == "2:22");
  CHECK(x.message == "mesh.link_max_in_flight must be at least 1, not 0");
  auto y = only_problem("[mesh]\nmax_advert_routes = 1000001\n");
  CHECK(pos(y) == "2:21");
  CHECK(y.message
        == "mesh.max_advert_routes must be at most 1000000, not 1000001");
}
