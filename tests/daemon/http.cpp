// The HTTP front door (`[http]`) with the real binary and a real HTTP
// client (curl): calls, every error's status, exact metrics after known
// traffic, readiness, limits, and HTTPS with and without an allowed
// certificate. Every wait is bounded; nothing sleeps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "certs.hpp"
#include "daemon_process.hpp"
#include "http_client.hpp"
#include "switchboard/daemon/http_front_door.hpp"
#include "switchboard/error.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

std::string node_text(const std::string& extra = {}) {
  return "[node]\nname = \"h\"\nlisten = \"127.0.0.1:0\"\ndrain = \"10s\"\n\n"
         "[http]\nlisten = \"127.0.0.1:0\"\n\n"
         "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n\n"
         "[[route]]\nname = \"fail\"\nhandler = \"fail\"\n\n"
         "[[route]]\nname = \"sleep\"\nhandler = \"sleep\"\n\n"
         + extra;
}

} // namespace

TEST_CASE("POST /v1/call/ROUTE answers the route's reply bytes") {
  scratch s;
  http_node n{s.write("h.toml", node_text())};
  std::string payload{"bytes\0with nul\n\xff", 16};
  auto r = post(n, "echo", payload);
  CHECK(r.status == 200);
  CHECK(r.body == payload);
  CHECK(r.headers.find("application/octet-stream") != std::string::npos);
  auto size = post(n, "echo", "");
  CHECK(size.status == 200);
  CHECK(size.body.empty());
  CHECK(n.d.stop().exit_code == 0);
}

TEST_CASE("GET /metrics counts exactly what was called: 7 calls, 7 counted") {
  scratch s;
  http_node n{s.write("h.toml", node_text())};
  for (int i = 0; i < 7; ++i)
    REQUIRE(post(n, "echo", "x").status == 200);
  for (int i = 0; i < 2; ++i)
    REQUIRE(post(n, "fail", "boom").status == 502);
  auto m = get(n, "/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.headers.find("text/plain; version=0.0.4") != std::string::npos);
  auto& t = m.body;
  CHECK(sample(t, R"(switchboard_requests_total{route="echo",outcome="ok"})")
        == 7);
  CHECK(sample(t, R"(switchboard_requests_total{route="fail",outcome="handler_failed"})")
        == 2);
  CHECK(sample(t, R"(switchboard_request_duration_seconds_count{route="echo"})")
        == 7);
  CHECK(sample(t, R"(switchboard_request_duration_seconds_bucket{route="echo",le="+Inf"})")
        == 7);
  CHECK(sample(t, R"(switchboard_in_flight{route="echo"})") == 0);
  CHECK(sample(t, R"(switchboard_worker_restarts_total{route="echo"})") == 0);
  // No error of a kind that did not happen is reported.
  CHECK(t.find(R"(route="echo",outcome="timeout")") == std::string::npos);
  CHECK(sample(t, "process_resident_memory_bytes") > 1e6);
  CHECK(sample(t, "process_open_fds") > 3);
  CHECK(sample(t, "process_start_time_seconds") > 1.7e9);
  // The CLI reads the same counts.
  auto cli = run({bin, "stats", "--connect", n.d.address, "--json"});
  CHECK(cli.exit_code == 0);
  CHECK(cli.out.find(R"("name": "echo", "requests": 7, "errors": 0, "outcomes": {"ok": 7})")
        != std::string::npos);
  CHECK(n.d.stop().exit_code == 0);
}

TEST_CASE("each error answers JSON with its HTTP status") {
  scratch s;
  http_node n{s.write(
    "h.toml",
    node_text("[[route]]\nname = \"small\"\nhandler = \"echo\"\nmax_payload = "
           "\"16B\"\n\n[[route]]\nname = \"one\"\nhandler = \"sleep\"\n"
           "max_in_flight = 1\n"))};
  auto json_error = [](const http_reply& r, const std::string& kind) {
    return r.body.find("{\"error\":\"" + kind + "\",\"message\":\"")
           == 0;
  };
  auto missing = post(n, "nope", "x");
  CHECK(missing.status == 404);
  CHECK(json_error(missing, "no_such_route"));
  auto failed = post(n, "fail", "boom");
  CHECK(failed.status == 502);
  CHECK(json_error(failed, "handler_failed"));
  CHECK(failed.body.find("boom") != std::string::npos);
  // Over the route's max_payload: 413, still as the route's bad_request.
  auto big = post(n, "small", std::string(64, 'x'));
  CHECK(big.status == 413);
  CHECK(json_error(big, "bad_request"));
  // Over every route's max_payload: refused before any route is asked.
  auto huge = post(n, "echo", std::string(1048577, 'x'));
  CHECK(huge.status == 413);
  // A bad deadline header: 400 naming it.
  auto bad_header = post(n, "echo", "x", {"-H", "Switchboard-Timeout: soon"});
  CHECK(bad_header.status == 400);
  CHECK(bad_header.body.find("Switchboard-Timeout") != std::string::npos);
  // The deadline from the header: 504 when the route is slower.
  auto late = post(n, "sleep", "2s", {"-H", "Switchboard-Timeout: 100ms"});
  CHECK(late.status == 504);
  CHECK(json_error(late, "timeout"));
  // overloaded: one call holds the route's only slot.
  process holder{{"/usr/bin/curl", "-sS", "--max-time", "20", "--data-binary", "3s",
                  "http://" + n.http + "/v1/call/one"}};
  REQUIRE(metric_reaches(n, R"(switchboard_in_flight{route="one"})", 1));
  auto full = post(n, "one", "1ms");
  CHECK(full.status == 429);
  CHECK(json_error(full, "overloaded"));
  CHECK(full.headers.find("Retry-After: 1") != std::string::npos);
  CHECK(get(n, "/no/such/endpoint").status == 404);
  CHECK(n.d.stop().exit_code == 0);
}

TEST_CASE("the HTTP status of every error code is fixed") {
  auto status = [](error_code c) {
    return daemon::http_status(make_error(c, "x"));
  };
  CHECK(status(error_code::no_such_route) == 404);
  CHECK(status(error_code::no_worker) == 503);
  CHECK(status(error_code::overloaded) == 429);
  CHECK(status(error_code::timeout) == 504);
  CHECK(status(error_code::handler_failed) == 502);
  CHECK(status(error_code::worker_down) == 502);
  CHECK(status(error_code::bad_request) == 400);
  CHECK(daemon::http_status(make_error(error_code::bad_request,
                                       "payload over max_payload"))
        == 413);
  CHECK(status(error_code::node_down) == 502);
  CHECK(status(error_code::shutting_down) == 503);
  CHECK(status(error_code::forbidden) == 403);
  CHECK(daemon::http_status(caf::error{}) == 500);
}

TEST_CASE("GET /v1/routes answers what routes --json prints, and /healthz and "
          "/readyz answer until the drain") {
  scratch s;
  http_node n{s.write("h.toml", node_text())};
  auto listing = get(n, "/v1/routes");
  CHECK(listing.status == 200);
  auto cli = run({bin, "routes", "--connect", n.d.address, "--json"});
  REQUIRE(cli.exit_code == 0);
  CHECK(listing.body == cli.out);
  CHECK(get(n, "/healthz").status == 200);
  CHECK(get(n, "/readyz").status == 200);
  // A call in flight keeps the node draining; meanwhile it is not ready
  // and new calls get shutting_down.
  process holder{{"/usr/bin/curl", "-sS", "--max-time", "20", "--data-binary", "2s",
                  "http://" + n.http + "/v1/call/sleep"}};
  REQUIRE(metric_reaches(n, R"(switchboard_in_flight{route="sleep"})", 1));
  n.d.proc->signal(SIGTERM);
  REQUIRE(n.d.proc->wait_for_err("stopping: draining", 10s));
  CHECK(get(n, "/readyz").status == 503);
  CHECK(get(n, "/healthz").status == 200);
  auto refused = post(n, "echo", "x");
  CHECK(refused.status == 503);
  CHECK(refused.body.find("shutting_down") != std::string::npos);
  auto held = holder.wait(20s);
  CHECK(held.exit_code == 0);
  CHECK(n.d.proc->wait(20s).exit_code == 0);
}

TEST_CASE("the HTTP front door bounds connections and closes a silent one at "
          "its read timeout") {
  scratch s;
  auto text = node_text();
  text.replace(text.find("[http]\nlisten = \"127.0.0.1:0\"\n"),
               std::string{"[http]\nlisten = \"127.0.0.1:0\"\n"}.size(),
               "[http]\nlisten = \"127.0.0.1:0\"\nmax_connections = 1\n"
               "read_timeout = \"300ms\"\n");
  http_node m{s.write("m.toml", text)};
  // A raw client that connects and says nothing is closed after 300 ms.
  auto port = static_cast<uint16_t>(std::stoi(m.port()));
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  // While it holds the only connection slot, another client gets 503.
  auto second = post(m, "echo", "x");
  CHECK(second.status == 503);
  CHECK(second.body.find("maximum of connections") != std::string::npos);
  pollfd p{fd, POLLIN, 0};
  auto started = std::chrono::steady_clock::now();
  REQUIRE(::poll(&p, 1, 5000) == 1);
  char buf[64];
  CHECK(::read(fd, buf, sizeof(buf)) == 0); // closed, nothing sent
  CHECK(std::chrono::steady_clock::now() - started < 3s);
  ::close(fd);
  // The slot is free again.
  CHECK(post(m, "echo", "x").status == 200);
  CHECK(m.d.stop().exit_code == 0);
}

TEST_CASE("[http] on a non-loopback address without [tls] is refused at its "
          "value, exit 2") {
  scratch s;
  auto path = s.write("n.toml", "[node]\nname = \"n\"\n\n[http]\nlisten = "
                                "\"0.0.0.0:7780\"\n");
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK(res.err.find("n.toml:5:") != std::string::npos);
  CHECK(res.err.find("http.listen") != std::string::npos);
}

TEST_CASE("under [tls] the HTTP front door is HTTPS: an allowed certificate "
          "calls, another gets 403, none fails the handshake") {
  certs c;
  const std::string rules = "[[allow]]\nidentity = \"client\"\ncall = "
                            "[\"echo\"]\n\n[http]\nlisten = \"127.0.0.1:0\"\n";
  http_node n{c.s.write("n1.toml", c.node("n1", "n1", {}, rules))};
  auto https = [&](const std::string& cert, const std::string& path,
                   bool body) {
    std::vector<std::string> args{"--cacert", c.s.dir + "/ca1.pem",
                                  "--resolve", "n1:" + n.port() + ":127.0.0.1"};
    if (!cert.empty())
      args.insert(args.end(), {"--cert", c.s.dir + "/" + cert + ".pem",
                               "--key", c.s.dir + "/" + cert + ".key"});
    if (body)
      args.insert(args.end(), {"--data-binary", "@-"});
    return curl(args, "https://n1:" + n.port() + path, "hi");
  };
  auto ok = https("client", "/v1/call/echo", true);
  CHECK(ok.status == 200);
  CHECK(ok.body == "hi");
  auto denied = https("client", "/v1/call/n1.secret", true);
  CHECK(denied.status == 403);
  CHECK(denied.body.find("forbidden") != std::string::npos);
  auto stranger = https("mallory", "/v1/call/echo", true);
  CHECK(stranger.status == 403);
  auto stranger_metrics = https("mallory", "/metrics", false);
  CHECK(stranger_metrics.status == 403);
  CHECK(n.d.proc->wait_for_err("'mallory'", 10s));
  // Without a client certificate the TLS handshake fails: no HTTP at all.
  auto anonymous = https("", "/healthz", false);
  CHECK(anonymous.status == 0);
  CHECK(anonymous.curl_exit != 0);
  // A certificate from another CA fails the handshake too.
  auto rogue = https("rogue", "/v1/call/echo", true);
  CHECK(rogue.status == 0);
  CHECK(rogue.curl_exit != 0);
  // Plain HTTP to the HTTPS port gets nothing either.
  auto plain = curl({}, "http://" + n.http + "/healthz");
  CHECK(plain.status == 0);
}
