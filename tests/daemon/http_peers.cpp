// Per-peer metrics with the real binary: two nodes, known traffic from A
// to a route only B serves, then A's `GET /metrics` and B's `stats`
// (text and --json) show exactly those calls and their bytes. Every wait is
// bounded; nothing sleeps.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "daemon_process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

/// A's configuration: HTTP on, dialling B at `b_port`.
std::string a_config(const std::string& b_port) {
  return "[node]\nname = \"A\"\nlisten = \"127.0.0.1:0\"\ndrain = \"1s\"\n\n"
         "[http]\nlisten = \"127.0.0.1:0\"\n\n"
         "[[peer]]\nconnect = \"127.0.0.1:"
         + b_port + "\"\n";
}

const std::string b_config
  = "[node]\nname = \"B\"\nlisten = \"127.0.0.1:0\"\ndrain = \"1s\"\n\n"
    "[[route]]\nname = \"bee\"\nhandler = \"echo\"\n";

/// The value of the sample `name` (with its labels) in a Prometheus text,
/// or -1 if it is not there.
double value_of(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

} // namespace

TEST_CASE("GET /metrics and stats count the calls and bytes each peer carried") {
  scratch s;
  daemon_process b{s.write("b.toml", b_config)};
  daemon_process a{s.write("a.toml", a_config(b.port()))};
  // After "listening on", A prints where HTTP listens.
  auto line = a.proc->read_line(20s);
  const std::string prefix = "http listening on ";
  REQUIRE(line.rfind(prefix, 0) == 0);
  auto http = line.substr(prefix.size());
  http = http.substr(0, http.find(' '));
  REQUIRE(a.proc->wait_for_err("route 'bee' reachable via B", 20s));
  REQUIRE_FALSE(http.empty());

  constexpr int n = 5;
  const std::string payload(2000, 'q');
  for (int i = 0; i < n; ++i) {
    auto res = a.call({"bee", payload});
    REQUIRE(res.exit_code == 0);
    REQUIRE(res.out == payload);
  }

  auto m = run({"/usr/bin/curl", "-sS", "--max-time", "20",
                "http://" + http + "/metrics"});
  REQUIRE(m.exit_code == 0);
  auto& t = m.out;
  CHECK(t.find("# TYPE switchboard_peer_calls_total counter\n")
        != std::string::npos);
  CHECK(t.find("# TYPE switchboard_peer_bytes_total counter\n")
        != std::string::npos);
  CHECK(t.find("# HELP switchboard_peer_connects_total ")
        != std::string::npos);
  CHECK(value_of(t, R"(switchboard_peer_up{peer="B"})") == 1);
  CHECK(value_of(t, R"(switchboard_peer_connects_total{peer="B"})") == 1);
  CHECK(value_of(t, R"(switchboard_peer_calls_total{peer="B",direction="out"})")
        == n);
  CHECK(value_of(t, R"(switchboard_peer_calls_total{peer="B",direction="in"})")
        == 0);
  CHECK(value_of(t, R"(switchboard_peer_replies_total{peer="B",direction="in"})")
        == n);
  // Each call took the payload to B and brought it back.
  CHECK(value_of(t, R"(switchboard_peer_bytes_total{peer="B",direction="out"})")
        >= n * 2000.0);
  CHECK(value_of(t, R"(switchboard_peer_bytes_total{peer="B",direction="in"})")
        >= n * 2000.0);

  // B's side, from the CLI: A's calls came in.
  auto json = run({bin, "stats", "--connect", b.address, "--json"});
  CHECK(json.exit_code == 0);
  INFO(json.out);
  CHECK(json.out.rfind("{\"routes\": [", 0) == 0);
  CHECK(json.out.find(R"("name": "bee", "requests": 5)") != std::string::npos);
  CHECK(json.out.find(R"("peers": [)") != std::string::npos);
  CHECK(json.out.find(R"({"name": "A", "address": "", "up": true, "connects": 1, "calls": {"in": 5, "out": 0}, "replies": {"in": 0, "out": 5}, "bytes": {"in": )")
        != std::string::npos);
  auto table = run({bin, "stats", "--connect", b.address});
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("PEER") != std::string::npos);
  CHECK(table.out.find("\nA ") != std::string::npos);
  CHECK(a.stop().exit_code == 0);
  CHECK(b.stop().exit_code == 0);
}
