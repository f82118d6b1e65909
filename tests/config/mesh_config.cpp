#include "switchboard/config/node_config.hpp"

#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard::config;
using namespace switchboard::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

/// A fresh directory from `mkdtemp` holding one configuration file,
/// removed with it.
class config_dir {
public:
  config_dir() {
    char templ[] = "/tmp/switchboard-mesh-XXXXXX";
    REQUIRE(mkdtemp(templ) != nullptr);
    path_ = templ;
  }

  ~config_dir() {
    if (!file_.empty())
      unlink(file_.c_str());
    rmdir(path_.c_str());
  }

  config_dir(const config_dir&) = delete;
  config_dir& operator=(const config_dir&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

  /// Writes `text` to `node.toml` in the directory and returns its path.
  std::string write(const std::string& text) {
    file_ = path_ + "/node.toml";
    std::ofstream out{file_, std::ios::binary};
    out << text;
    out.close();
    REQUIRE(out.good());
    return file_;
  }

private:
  std::string path_;
  std::string file_;
};

constexpr const char* tls_relative = R"([tls]
certificate = "certs/node.pem"
key = "certs/node.key"
ca = "../ca/ca.pem"
)";

} // namespace

// -- defaults ---------------------------------------------------------------

TEST_CASE("a document without [mesh], [[peer]] or [tls] has the mesh "
          "defaults, no peers and no TLS") {
  auto cfg = parse_ok("[node]\nname = \"n\"\n");
  CHECK(cfg.mesh.heartbeat == std::chrono::nanoseconds{500ms});
  CHECK(cfg.mesh.peer_timeout == std::chrono::nanoseconds{2s});
  CHECK(cfg.mesh.retry_max == std::chrono::nanoseconds{5s});
  CHECK(cfg.mesh.max_batch == 1024);
  CHECK(cfg.peers.empty());
  CHECK_FALSE(cfg.tls.has_value());
}

TEST_CASE("an empty [mesh] keeps every mesh default") {
  auto cfg = parse_ok("[mesh]\n");
  CHECK(cfg.mesh.heartbeat == std::chrono::nanoseconds{500ms});
  CHECK(cfg.mesh.peer_timeout == std::chrono::nanoseconds{2s});
  CHECK(cfg.mesh.retry_max == std::chrono::nanoseconds{5s});
  CHECK(cfg.mesh.max_batch == 1024);
}

TEST_CASE("the built-in default configuration has no peers and no TLS") {
  auto cfg = parse_ok(default_config_text, "<built-in default>");
  CHECK(cfg.peers.empty());
  CHECK_FALSE(cfg.tls.has_value());
  CHECK(cfg.mesh.max_batch == 1024);
}

// -- values -----------------------------------------------------------------

TEST_CASE("every [mesh] key is read") {
  auto cfg = parse_ok(R"([mesh]
heartbeat = "100ms"
peer_timeout = "1s"
retry_max = "30s"
max_batch = 64
max_batch_bytes = "256KiB"
link_max_in_flight = 500
max_advert_routes = 2000
)");
  CHECK(cfg.mesh.heartbeat == std::chrono::nanoseconds{100ms});
  CHECK(cfg.mesh.peer_timeout == std::chrono::nanoseconds{1s});
  CHECK(cfg.mesh.retry_max == std::chrono::nanoseconds{30s});
  CHECK(cfg.mesh.max_batch == 64);
  CHECK(cfg.mesh.max_batch_bytes == 256 * 1024);
  CHECK(cfg.mesh.link_max_in_flight == 500);
  CHECK(cfg.mesh.max_advert_routes == 2000);
}

TEST_CASE("peers are read in document order with the position of their "
          "address") {
  auto cfg = parse_ok(R"([[peer]]
connect = "10.0.0.2:7700"

[[peer]]
  connect = "[::1]:7701"
[[peer]]
connect = "edge-3.example.org:65535"
)");
  REQUIRE(cfg.peers.size() == 3);
  CHECK(cfg.peers[0].address.host == "10.0.0.2");
  CHECK(cfg.peers[0].address.port == 7700);
  CHECK(pos(cfg.peers[0].position) == "test.toml:2:11");
  CHECK(cfg.peers[1].address.host == "::1");
  CHECK(cfg.peers[1].address.port == 7701);
  CHECK(pos(cfg.peers[1].position) == "test.toml:5:13");
  CHECK(cfg.peers[2].address.host == "edge-3.example.org");
  CHECK(cfg.peers[2].address.port == 65535);
  CHECK(pos(cfg.peers[2].position) == "test.toml:7:11");
}

TEST_CASE("peers may be written as an inline array of tables") {
  auto cfg = parse_ok(
    "peer = [{ connect = \"10.0.0.2:7700\" }, { connect = \"10.0.0.3:7700\" "
    "}]\n");
  REQUIRE(cfg.peers.size() == 2);
  CHECK(to_string(cfg.peers[0].address) == "10.0.0.2:7700");
  CHECK(pos(cfg.peers[0].position) == "test.toml:1:21");
  CHECK(to_string(cfg.peers[1].address) == "10.0.0.3:7700");
}

TEST_CASE("a host and port render with brackets only around IPv6 hosts") {
  CHECK(to_string(host_port{"10.0.0.2", 7700}) == "10.0.0.2:7700");
  CHECK(to_string(host_port{"::1", 7700}) == "[::1]:7700");
}

TEST_CASE("[tls] is read with the positions of its table and its values") {
  auto cfg = parse_ok(R"([node]
name = "n"
[tls]
certificate = "/etc/sb/node.pem"
key =         "/etc/sb/node.key"
ca = "/etc/sb/ca.pem"
)");
  REQUIRE(cfg.tls);
  CHECK(cfg.tls->certificate == "/etc/sb/node.pem");
  CHECK(cfg.tls->key == "/etc/sb/node.key");
  CHECK(cfg.tls->ca == "/etc/sb/ca.pem");
  CHECK(pos(cfg.tls->position) == "test.toml:3:1");
  CHECK(pos(cfg.tls->certificate_position) == "test.toml:4:15");
  CHECK(pos(cfg.tls->key_position) == "test.toml:5:15");
  CHECK(pos(cfg.tls->ca_position) == "test.toml:6:6");
}

// -- relative TLS paths -----------------------------------------------------

TEST_CASE("relative TLS paths are resolved against the configuration's "
          "directory") {
  auto cfg = parse_ok(tls_relative, "/etc/switchboard/node.toml");
  REQUIRE(cfg.tls);
  CHECK(cfg.tls->certificate == "/etc/switchboard/certs/node.pem");
  CHECK(cfg.tls->key == "/etc/switchboard/certs/node.key");
  CHECK(cfg.tls->ca == "/etc/switchboard/../ca/ca.pem");
}

TEST_CASE("relative TLS paths follow a relative configuration path") {
  auto cfg = parse_ok(tls_relative, "conf/edge.toml");
  REQUIRE(cfg.tls);
  CHECK(cfg.tls->certificate == "conf/certs/node.pem");
  CHECK(cfg.tls->ca == "conf/../ca/ca.pem");
}

TEST_CASE("absolute TLS paths are kept as written") {
  auto cfg = parse_ok("[tls]\ncertificate = \"/a/c.pem\"\nkey = \"/a/k.pem\"\n"
                      "ca = \"/b/ca.pem\"\n",
                      "/etc/switchboard/node.toml");
  REQUIRE(cfg.tls);
  CHECK(cfg.tls->certificate == "/a/c.pem");
  CHECK(cfg.tls->key == "/a/k.pem");
  CHECK(cfg.tls->ca == "/b/ca.pem");
}

// A source name in angle brackets names no file, even one with a slash.
TEST_CASE("TLS paths of text that is not a file are kept as written") {
  for (auto source : {"<built-in default>", "<generated/node.toml>"}) {
    auto cfg = parse_ok(tls_relative, source);
    REQUIRE(cfg.tls);
    CHECK(cfg.tls->certificate == "certs/node.pem");
    CHECK(cfg.tls->key == "certs/node.key");
    CHECK(cfg.tls->ca == "../ca/ca.pem");
  }
}

TEST_CASE("a configuration file resolves its relative TLS paths against its "
          "own directory") {
  config_dir dir;
  auto file = dir.write(tls_relative);
  auto result = load_config_file(file);
  CHECK(result.problems.empty());
  REQUIRE(result.config);
  REQUIRE(result.config->tls);
  CHECK(result.config->tls->certificate == dir.path() + "/certs/node.pem");
  CHECK(result.config->tls->key == dir.path() + "/certs/node.key");
  CHECK(result.config->tls->ca == dir.path() + "/../ca/ca.pem");
  CHECK(pos(result.config->tls->certificate_position) == file + ":2:15");
}

// -- [mesh] rules -----------------------------------------------------------

TEST_CASE("a zero mesh.heartbeat is refused at the value") {
  auto x = only_problem("[mesh]\nheartbeat = \"0s\"\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message
        == "mesh.heartbeat '0s' is not a positive duration (e.g. \"250ms\", "
           "\"5s\", \"1m\")");
}

TEST_CASE("a mesh.heartbeat that is not a string names its type") {
  auto x = only_problem("[mesh]\nheartbeat = 500\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message == "mesh.heartbeat must be a string, not an integer");
}

TEST_CASE("a mesh.peer_timeout below twice the heartbeat is reported at the "
          "peer_timeout with both values") {
  auto x = only_problem(R"([mesh]
heartbeat = "750ms"
peer_timeout = "1s"
)");
  CHECK(pos(x) == "3:16");
  CHECK(x.message
        == "mesh.peer_timeout '1s' must be at least twice mesh.heartbeat "
           "'750ms', so at least '1500ms'");
}

TEST_CASE("a mesh.peer_timeout below twice the default heartbeat is "
          "reported") {
  auto x = only_problem("[mesh]\npeer_timeout = \"999ms\"\n");
  CHECK(pos(x) == "2:16");
  CHECK(x.message
        == "mesh.peer_timeout '999ms' must be at least twice mesh.heartbeat "
           "'500ms' (the default), so at least '1s'");
}

TEST_CASE("a heartbeat too long for the default peer_timeout is reported at "
          "the heartbeat") {
  auto x = only_problem("[mesh]\nheartbeat = \"1500ms\"\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message
        == "mesh.peer_timeout '2s' (the default) must be at least twice "
           "mesh.heartbeat '1500ms', so at least '3s'");
}

TEST_CASE("a peer_timeout of exactly twice the heartbeat is accepted, one "
          "nanosecond less is not") {
  auto cfg = parse_ok("[mesh]\nheartbeat = \"1s\"\npeer_timeout = \"2s\"\n");
  CHECK(cfg.mesh.peer_timeout == std::chrono::nanoseconds{2s});
  auto odd = parse_ok("[mesh]\nheartbeat = \"10000003ns\"\n"
                      "peer_timeout = \"20000006ns\"\n");
  CHECK(odd.mesh.peer_timeout == std::chrono::nanoseconds{20000006});
  auto x = only_problem("[mesh]\nheartbeat = \"10000003ns\"\n"
                        "peer_timeout = \"20000005ns\"\n");
  CHECK(pos(x) == "3:16");
  CHECK_THAT(x.message,
             Contains("at least twice mesh.heartbeat '10000003ns'"));
}

TEST_CASE("a heartbeat near the largest duration is compared without "
          "overflow") {
  auto x = only_problem(R"([mesh]
heartbeat = "8760h"
peer_timeout = "8760h"
)");
  CHECK(pos(x) == "3:16");
  CHECK_THAT(x.message, Contains("must be at least twice mesh.heartbeat"));
}

// A bad value is reported once: the rule relating it to another value is
// not checked against a default it never replaced.
TEST_CASE("a bad heartbeat is not also held against the peer_timeout") {
  auto x = only_problem("[mesh]\nheartbeat = \"0s\"\npeer_timeout = \"1s\"\n");
  CHECK(pos(x) == "2:13");
  CHECK_THAT(x.message, Contains("mesh.heartbeat '0s'"));
}

TEST_CASE("a zero mesh.peer_timeout is refused at the value") {
  auto x = only_problem("[mesh]\npeer_timeout = \"0ms\"\n");
  CHECK(pos(x) == "2:16");
  CHECK_THAT(x.message,
             Contains("mesh.peer_timeout '0ms' is not a positive duration"));
}

TEST_CASE("a zero mesh.retry_max is refused at the value") {
  auto x = only_problem("[mesh]\nretry_max = \"0s\"\n");
  CHECK(pos(x) == "2:13");
  CHECK_THAT(x.message,
             Contains("mesh.retry_max '0s' is not a positive duration"));
}

TEST_CASE("a mesh.retry_max without a unit is refused at the value") {
  auto x = only_problem("[mesh]\nretry_max = \"5\"\n");
  CHECK(pos(x) == "2:13");
  CHECK_THAT(x.message, Contains("mesh.retry_max '5'"));
}

TEST_CASE("a zero mesh.max_batch is refused at the value") {
  auto x = only_problem("[mesh]\nmax_batch = 0\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message == "mesh.max_batch must be at least 1, not 0");
}

TEST_CASE("a mesh.max_batch above 65536 is refused at the value") {
  auto x = only_problem("[mesh]\nmax_batch = 65537\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message == "mesh.max_batch must be at most 65536, not 65537");
}

TEST_CASE("a mesh.max_batch of 1 and of 65536 is accepted") {
  CHECK(parse_ok("[mesh]\nmax_batch = 1\n").mesh.max_batch == 1);
  CHECK(parse_ok("[mesh]\nmax_batch = 65536\n").mesh.max_batch == 65536);
}

TEST_CASE("a mesh.max_batch that is not an integer names its type") {
  auto x = only_problem("[mesh]\nmax_batch = \"1024\"\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message == "mesh.max_batch must be an integer, not a string");
}

TEST_CASE("a [mesh] that is not a table is reported at the value") {
  auto x = only_problem("mesh = true\n");
  CHECK(pos(x) == "1:8");
  CHECK(x.message == "mesh must be a table ([mesh])");
}

// -- [[peer]] rules ---------------------------------------------------------

TEST_CASE("a [[peer]] without connect is reported at its table") {
  auto x = only_problem("[node]\nname = \"n\"\n\n  [[peer]]\n");
  CHECK(pos(x) == "4:3");
  CHECK(x.message == "a [[peer]] needs connect = \"HOST:PORT\"");
}

TEST_CASE("a peer address without a port is reported at the value") {
  auto x = only_problem("[[peer]]\nconnect = \"10.0.0.2\"\n");
  CHECK(pos(x) == "2:11");
  CHECK_THAT(x.message, Contains("peer.connect '10.0.0.2' is not HOST:PORT"));
}

TEST_CASE("a peer address with port 0 is refused at the value") {
  auto x = only_problem("[[peer]]\nconnect = \"10.0.0.2:0\"\n");
  CHECK(pos(x) == "2:11");
  CHECK_THAT(x.message, Contains("peer.connect '10.0.0.2:0' has port 0"));
}

TEST_CASE("a peer connect that is not a string names its type") {
  auto x = only_problem("[[peer]]\nconnect = 7700\n");
  CHECK(pos(x) == "2:11");
  CHECK(x.message == "peer.connect must be a string, not an integer");
}

TEST_CASE("a peer given twice is reported at the second address") {
  auto x = only_problem(R"([[peer]]
connect = "10.0.0.2:7700"
[[peer]]
connect = "10.0.0.3:7700"
[[peer]]
 connect = "10.0.0.2:7700"
)");
  CHECK(pos(x) == "6:12");
  CHECK(x.message
        == "duplicate peer '10.0.0.2:7700' (already a [[peer]] at line 2)");
}

TEST_CASE("a peer given three times is reported at the second and third") {
  auto xs = problems_in(R"([[peer]]
connect = "a:1"
[[peer]]
connect = "a:1"
[[peer]]
connect = "a:1"
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "4:11");
  CHECK(pos(xs[1]) == "6:11");
}

TEST_CASE("peer addresses are the same whatever the case of the host or the "
          "brackets") {
  auto xs = problems_in(R"([[peer]]
connect = "Edge-1:7700"
[[peer]]
connect = "edge-1:7700"
[[peer]]
connect = "[::1]:7700"
[[peer]]
connect = "[::1]:7700"
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "4:11");
  CHECK_THAT(xs[0].message, Contains("duplicate peer 'edge-1:7700'"));
  CHECK(pos(xs[1]) == "8:11");
  CHECK_THAT(xs[1].message, Contains("duplicate peer '[::1]:7700'"));
}

TEST_CASE("peers on one host with different ports are not duplicates") {
  auto cfg
    = parse_ok("[[peer]]\nconnect = \"a:1\"\n[[peer]]\nconnect = \"a:2\"\n");
  CHECK(cfg.peers.size() == 2);
}

TEST_CASE("a single [peer] table instead of [[peer]] is reported") {
  auto x = only_problem("[peer]\nconnect = \"a:1\"\n");
  CHECK(pos(x) == "1:1");
  CHECK(x.message == "peer must be an array of tables ([[peer]])");
}

// -- [tls] rules ------------------------------------------------------------

TEST_CASE("a [tls] without a key is reported at its table naming the key") {
  auto x = only_problem(R"([node]
name = "n"
 [tls]
certificate = "/etc/sb/node.pem"
ca = "/etc/sb/ca.pem"
)");
  CHECK(pos(x) == "3:2");
  CHECK_THAT(x.message, Contains("[tls] needs key"));
}

TEST_CASE("an empty [tls] names each missing key at its table") {
  auto xs = problems_in("[tls]\n");
  REQUIRE(xs.size() == 3);
  CHECK(pos(xs[0]) == "1:1");
  CHECK_THAT(xs[0].message, Contains("[tls] needs certificate"));
  CHECK(pos(xs[1]) == "1:1");
  CHECK_THAT(xs[1].message, Contains("[tls] needs key"));
  CHECK(pos(xs[2]) == "1:1");
  CHECK_THAT(xs[2].message, Contains("[tls] needs ca"));
}

TEST_CASE("an empty TLS path is refused at the value") {
  auto x = only_problem(
    "[tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\nca = \"\"\n");
  CHECK(pos(x) == "4:6");
  CHECK(x.message == "tls.ca must not be empty");
}

TEST_CASE("a TLS path that is not a string names its type") {
  auto x = only_problem(
    "[tls]\ncertificate = [\"c.pem\"]\nkey = \"k.pem\"\nca = \"ca.pem\"\n");
  CHECK(pos(x) == "2:15");
  CHECK(x.message == "tls.certificate must be a string, not an array");
}

TEST_CASE("a [tls] that is not a table is reported at the value") {
  auto x = only_problem("tls = \"on\"\n");
  CHECK(pos(x) == "1:7");
  CHECK(x.message == "tls must be a table ([tls])");
}

// -- unknown keys -----------------------------------------------------------

TEST_CASE("an unknown key in [mesh] is reported at the key") {
  auto x = only_problem("[mesh]\nheartbeat = \"1s\"\nheartbeet = \"1s\"\n");
  CHECK(pos(x) == "3:1");
  CHECK(x.message
        == "unknown key 'heartbeet' in [mesh] (known: heartbeat, "
           "peer_timeout, retry_max, max_batch, max_batch_bytes, "
           "link_max_in_flight, max_advert_routes)");
}

TEST_CASE("an unknown key in a [[peer]] is reported at the key") {
  auto x = only_problem("[[peer]]\nconnect = \"a:1\"\n  name = \"a\"\n");
  CHECK(pos(x) == "3:3");
  CHECK(x.message == "unknown key 'name' in [[peer]] (known: connect)");
}

TEST_CASE("an unknown key in [tls] is reported at the key") {
  auto x = only_problem(R"([tls]
certificate = "c.pem"
key = "k.pem"
ca = "ca.pem"
verify = false
)");
  CHECK(pos(x) == "5:1");
  CHECK(x.message
        == "unknown key 'verify' in [tls] (known: certificate, key, ca)");
}

// -- several problems -------------------------------------------------------

TEST_CASE("problems of [tls], [mesh] and [[peer]] come in document order") {
  auto xs = problems_in(R"([tls]
certificate = ""
key = "k.pem"
ca = "ca.pem"
[[peer]]
connect = "nowhere"
[mesh]
max_batch = 0
[[route]]
name = "a"
)");
  REQUIRE(xs.size() == 4);
  CHECK(pos(xs[0]) == "2:15");
  CHECK_THAT(xs[0].message, Contains("tls.certificate"));
  CHECK(pos(xs[1]) == "6:11");
  CHECK_THAT(xs[1].message, Contains("peer.connect"));
  CHECK(pos(xs[2]) == "8:13");
  CHECK_THAT(xs[2].message, Contains("mesh.max_batch"));
  CHECK(pos(xs[3]) == "9:1");
  CHECK_THAT(xs[3].message, Contains("route 'a' needs one of"));
}
