// Black-box mesh tests: several real `switchboard serve` processes (and the
// embedded example node) joined over 127.0.0.1 with ports the OS picks.
// Every wait is bounded: on a log line, a process exit or a call.

#include <catch2/catch.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "daemon_process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

std::string node_config(const std::string& name, const std::string& routes,
                        const std::string& peer_port = {},
                        const std::string& extra = {}) {
  std::string text = "[node]\nname = \"" + name
                     + "\"\nlisten = \"127.0.0.1:0\"\ndrain = \"1s\"\n\n"
                     + extra + "\n";
  if (!peer_port.empty())
    text += "[[peer]]\nconnect = \"127.0.0.1:" + peer_port + "\"\n\n";
  return text + routes;
}

std::string route(const std::string& name, const std::string& handler) {
  return "[[route]]\nname = \"" + name + "\"\nhandler = \"" + handler
         + "\"\nworkers = 2\n\n";
}

/// How many requests `node` reports in flight on `route_name`; -1 if the
/// node cannot be asked.
long in_flight(daemon_process& node, const std::string& route_name) {
  auto res = run({bin, "routes", "--connect", node.address, "--json"});
  auto at = res.out.find("\"name\": \"" + route_name + "\"");
  if (res.exit_code != 0 || at == std::string::npos)
    return -1;
  auto field = res.out.find("\"in_flight\": ", at);
  return std::stol(res.out.substr(field + 13));
}

/// Starts `n` CLI calls of `route` through `node`, each in its own process.
std::vector<std::unique_ptr<process>>
start_calls(daemon_process& node, const std::string& route_name,
            const std::string& payload, size_t n) {
  std::vector<std::unique_ptr<process>> calls;
  for (size_t i = 0; i < n; ++i)
    calls.push_back(std::make_unique<process>(std::vector<std::string>{
      bin, "call", "--connect", node.address, "--timeout", "60s", route_name,
      payload}));
  return calls;
}

/// Waits until `node` has `n` requests of `route_name` in flight (bounded).
bool wait_in_flight(daemon_process& node, const std::string& route_name,
                    long n) {
  auto deadline = steady::now() + 20s;
  while (steady::now() < deadline)
    if (in_flight(node, route_name) >= n)
      return true;
  return false;
}

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

/// Every call ends with `node_down` within `limit` of `since`.
void require_node_down(std::vector<std::unique_ptr<process>>& calls,
                       steady::time_point since, double limit) {
  for (auto& call : calls) {
    auto res = call->wait(30s);
    auto took = seconds_since(since);
    INFO("call ended after " << took << " s: " << res.err);
    CHECK(res.exit_code == 1);
    CHECK(res.err.find("node_down") != std::string::npos);
    CHECK(took < limit);
  }
}

} // namespace

TEST_CASE("three nodes: A calls a route only C serves through B, survives kill -9 of C, and sees C again when it returns") {
  scratch s;
  daemon_process b{s.write("b.toml", node_config("B", route("bee", "echo")))};
  auto c_config = s.write("c.toml",
                          node_config("C",
                                      route("far", "echo")
                                        + route("slow", "sleep"),
                                      b.port()));
  auto c = std::make_unique<daemon_process>(c_config);
  daemon_process a{
    s.write("a.toml", node_config("A", route("ay", "echo"), b.port()))};
  REQUIRE(a.proc->wait_for_err("route 'far' reachable via B (served by C)",
                               20s));

  // Through B, and `routes` names the origin.
  auto res = a.call({"far", "over two hops"});
  CHECK(res.exit_code == 0);
  CHECK(res.out == "over two hops");
  auto listing = run({bin, "routes", "--connect", a.address});
  CHECK(listing.out.find("C (via B)") != std::string::npos);

  // Eight requests in flight on C when it is killed: each ends with
  // node_down within the default detection time (2 s), not its timeout.
  auto calls = start_calls(a, "slow", "30s", 8);
  REQUIRE(wait_in_flight(*c, "slow", 8));
  c->proc->signal(SIGKILL);
  auto killed = steady::now();
  require_node_down(calls, killed, 2.0);
  REQUIRE(a.proc->wait_for_err("route 'far' no longer reachable", 5s));

  // A and B still serve their own routes; C's are gone.
  CHECK(a.call({"ay", "a"}).out == "a");
  CHECK(a.call({"bee", "b"}).out == "b");
  auto gone = a.call({"far", "x"});
  CHECK(gone.exit_code == 1);
  CHECK(gone.err.find("no_such_route") != std::string::npos);

  // C comes back (a new process): callable again, nobody restarted.
  c = std::make_unique<daemon_process>(c_config);
  REQUIRE(a.proc->wait_for_err("route 'far' reachable via B (served by C)",
                               20s));
  res = a.call({"far", "back again"});
  CHECK(res.exit_code == 0);
  CHECK(res.out == "back again");
}

TEST_CASE("a node that stops answering is declared down by heartbeats and rejoins when it resumes") {
  scratch s;
  const std::string fast = "[mesh]\nheartbeat = \"200ms\"\n"
                           "peer_timeout = \"1s\"\n";
  daemon_process b{s.write("b.toml", node_config("B", "", {}, fast))};
  daemon_process c{s.write(
    "c.toml", node_config("C", route("slow", "sleep"), b.port(), fast))};
  REQUIRE(b.proc->wait_for_err("route 'slow' reachable via C", 20s));

  // SIGSTOP keeps the connection open: only the silence tells.
  auto calls = start_calls(b, "slow", "30s", 4);
  REQUIRE(wait_in_flight(c, "slow", 4));
  c.proc->signal(SIGSTOP);
  auto stopped = steady::now();
  // peer_timeout (1 s) plus one heartbeat of granularity, plus slack.
  require_node_down(calls, stopped, 2.5);
  CHECK(b.proc->wait_for_err("peer 'C' down", 5s));
  CHECK(b.proc->err_so_far().find("no heartbeat") != std::string::npos);

  c.proc->signal(SIGCONT);
  REQUIRE(b.proc->wait_for_err("route 'slow' reachable via C", 20s));
  auto res = b.call({"slow", "10ms"});
  CHECK(res.exit_code == 0);
  CHECK(res.out == "slept 10ms");
}

TEST_CASE("a node keeps retrying a peer that is not up yet and connects when it starts") {
  scratch s;
  // A port nobody listens on yet, for the node that starts second.
  auto probe = std::make_unique<daemon_process>(
    s.write("probe.toml", node_config("probe", "")));
  auto port = probe->port();
  probe->stop();
  probe.reset();
  daemon_process a{s.write("a.toml", node_config("A", "", port))};
  REQUIRE(a.proc->wait_for_err("unreachable", 10s));
  auto late_config = node_config("late", route("late_route", "echo"));
  late_config.replace(late_config.find("127.0.0.1:0"), 11, "127.0.0.1:" + port);
  daemon_process late{s.write("late.toml", late_config)};
  REQUIRE(a.proc->wait_for_err("connected to peer 'late'", 20s));
  REQUIRE(a.proc->wait_for_err("route 'late_route' reachable", 10s));
  CHECK(a.call({"late_route", "made it"}).out == "made it");
  // The failure was logged once, not once per attempt.
  auto& log = a.proc->err_so_far();
  size_t count = 0;
  for (auto at = log.find("unreachable"); at != std::string::npos;
       at = log.find("unreachable", at + 1))
    ++count;
  CHECK(count == 1);
}

#ifdef NODE_EXAMPLE_BIN
TEST_CASE("the embedded example node attaches to a daemon and serves its route through it") {
  scratch s;
  daemon_process d{s.write("d.toml", node_config("D", route("echo", "echo")))};
  process app{{NODE_EXAMPLE_BIN, "--name", "app", d.address}};
  REQUIRE(app.read_line(20s) == "attached to D");
  // The application called the daemon's route...
  CHECK(app.read_line(10s) == "echo answered: ping through the mesh");
  // ...and the daemon calls the application's.
  REQUIRE(d.proc->wait_for_err("route 'greet' reachable via app", 10s));
  auto res = d.call({"greet", "world"});
  CHECK(res.exit_code == 0);
  CHECK(res.out == "hello, world, from app");
  app.close_stdin();
  CHECK(app.wait(10s).exit_code == 0);
  REQUIRE(d.proc->wait_for_err("route 'greet' no longer reachable", 10s));
}
#endif

TEST_CASE("with [tls] nodes of one CA mesh and call each other, and a certificate from another CA is refused") {
  scratch s;
  auto made = run({"/bin/bash", TLS_CERT_SCRIPT, s.dir});
  REQUIRE(made.exit_code == 0);
  auto tls = [&](const std::string& cert, const std::string& ca) {
    return "[tls]\ncertificate = \"" + cert + ".pem\"\nkey = \"" + cert
           + ".key\"\nca = \"" + ca + ".pem\"\n";
  };
  daemon_process t1{
    s.write("t1.toml", node_config("n1", route("secret", "echo"), {},
                                   tls("n1", "ca1")))};
  daemon_process t2{s.write(
    "t2.toml", node_config("n2", route("t2_route", "echo"), t1.port(),
                           tls("n2", "ca1")))};
  // (Under TLS a node's name is its certificate's: n1, n2.)
  REQUIRE(t2.proc->wait_for_err("connected to peer 'n1'", 20s));
  REQUIRE(t2.proc->wait_for_err("route 'secret' reachable via n1", 10s));

  auto client = [&](daemon_process& node, const std::string& cert,
                    std::vector<std::string> args) {
    std::vector<std::string> full{bin, "call", "--connect", node.address,
                                  "--tls-cert", s.dir + "/" + cert + ".pem",
                                  "--tls-key", s.dir + "/" + cert + ".key",
                                  "--tls-ca", s.dir + "/ca1.pem"};
    full.insert(full.end(), args.begin(), args.end());
    return run(full);
  };
  // A client with a ca1 certificate calls T1's route through T2.
  auto res = client(t2, "client", {"secret", "sealed"});
  CHECK(res.exit_code == 0);
  CHECK(res.out == "sealed");

  // A node whose certificate comes from ca2 cannot join (T1 refuses it,
  // although the rogue node itself trusts ca1).
  daemon_process rogue{s.write(
    "rogue.toml", node_config("R", route("rogue_route", "echo"), t1.port(),
                              tls("rogue", "ca1")))};
  REQUIRE(rogue.proc->wait_for_err("unreachable", 20s));
  CHECK(rogue.proc->err_so_far().find("connected to peer") == std::string::npos);
  auto listing = run({bin, "routes", "--connect", t1.address, "--tls-cert",
                      s.dir + "/client.pem", "--tls-key",
                      s.dir + "/client.key", "--tls-ca", s.dir + "/ca1.pem"});
  CHECK(listing.exit_code == 0);
  CHECK(listing.out.find("t2_route") != std::string::npos);
  CHECK(listing.out.find("rogue_route") == std::string::npos);

  // Clients: the rogue certificate and plain TCP are both refused.
  auto refused = client(t1, "rogue", {"secret", "x"});
  CHECK(refused.exit_code == 3);
  auto plain = t1.call({"secret", "x"});
  CHECK(plain.exit_code == 3);
}
