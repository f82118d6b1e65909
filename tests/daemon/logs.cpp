// The daemon's log with the real binary: `[log] format = "json"` lines,
// levels, and refusals that cannot flood it.

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <sstream>

#include "daemon_process.hpp"
#include "json_line.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

std::string node_config(const std::string& log_table,
                        const std::string& routes
                        = "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n"
                          "workers = 2\n") {
  return "[node]\nname = \"logger\"\nlisten = \"127.0.0.1:0\"\n\n" + routes
         + "\n[log]\n" + log_table;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

size_t count_lines_with(const std::string& text, const std::string& needle) {
  auto xs = lines_of(text);
  return static_cast<size_t>(std::count_if(xs.begin(), xs.end(), [&](auto& x) {
    return x.find(needle) != std::string::npos;
  }));
}

/// The sum of the numbers that follow `needle` on the lines of `text`.
uint64_t sum_after(const std::string& text, const std::string& needle) {
  uint64_t result = 0;
  for (auto& line : lines_of(text))
    if (auto at = line.find(needle); at != std::string::npos)
      result += std::stoull(line.substr(at + needle.size()));
  return result;
}

/// Whether `x` reads like `2026-12-01T20:41:07.123Z`.
bool is_utc_timestamp(const std::string& x) {
  if (x.size() != 24)
    return false;
  const std::string shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(x[i]))
                        : x[i] != shape[i])
      return false;
  return true;
}

/// Connects to 127.0.0.1:`port`, announces a ~4 GiB BASP frame and waits
/// (bounded) for the node to close the connection.
bool send_oversized_frame(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool closed = false;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    // A client_handshake header (operation 1) with payload_len 4294967040.
    char header[32] = {};
    header[0] = 1;
    header[4] = header[5] = header[6] = static_cast<char>(0xFF);
    if (::write(fd, header, sizeof(header)) == sizeof(header)) {
      // The node speaks first (its own handshake); read to the end.
      auto deadline = std::chrono::steady_clock::now() + 10s;
      char buf[512];
      while (!closed && std::chrono::steady_clock::now() < deadline) {
        pollfd pfd{fd, POLLIN, 0};
        if (::poll(&pfd, 1, 1000) == 1)
          closed = ::read(fd, buf, sizeof(buf)) <= 0;
      }
    }
  }
  ::close(fd);
  return closed;
}

} // namespace

TEST_CASE("in json format every line the node writes is a JSON object with "
          "ts, level and msg, and its state changes come in order") {
  scratch s;
  auto path = s.write("n.toml", node_config("format = \"json\"\n"));
  daemon_process d{path};
  auto call = d.call({"echo", "hi \"there\""});
  CHECK(call.exit_code == 0);
  // A reload that adds a route, then one that is refused.
  s.write("n.toml",
          node_config("format = \"json\"\n",
                      "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n"
                      "workers = 2\n\n[[route]]\nname = \"size\"\n"
                      "handler = \"size\"\n"));
  d.proc->signal(SIGHUP);
  REQUIRE(d.proc->wait_for_err("reloaded: 1 added", 10s));
  s.write("n.toml", node_config("format = \"json\"\nlevel = \"loud\"\n"));
  d.proc->signal(SIGHUP);
  REQUIRE(d.proc->wait_for_err("configuration invalid", 10s));
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  std::vector<std::string> lines{d.ready_line};
  for (auto& x : lines_of(stopped.out))
    lines.push_back(x);
  std::vector<std::map<std::string, std::string>> events;
  for (auto& x : lines_of(stopped.err))
    lines.push_back(x);
  for (auto& line : lines) {
    INFO(line);
    auto obj = parse_json_object(line);
    REQUIRE(obj);
    CHECK(is_utc_timestamp((*obj)["ts"]));
    auto level = (*obj)["level"];
    CHECK((level == "trace" || level == "debug" || level == "info"
           || level == "warn" || level == "error"));
    CHECK(!(*obj)["msg"].empty());
    events.push_back(*obj);
  }
  // The readiness line carries the address as a field too.
  REQUIRE(!events.empty());
  CHECK(events.front()["msg"] == "listening on " + d.address);
  CHECK(events.front()["address"] == d.address);
  CHECK(events.front()["tls"] == "false");
  // The state changes, in order, among whatever else is logged.
  std::vector<std::pair<std::string, std::string>> expected{
    {"route added", "echo"},
    {"node logger: 1 route(s)", ""},
    {"route added", "size"},
    {"reloaded: 1 added, 0 removed, 0 replaced", ""},
    {"reload: configuration problem", ""},
    {"reload: configuration invalid, keeping the old one", ""},
    {"stopping: draining requests in flight (a second signal stops at once)",
     ""},
    {"drain finished", ""},
    {"node stopped", ""}};
  size_t next = 0;
  for (auto& e : events)
    if (next < expected.size() && e["msg"] == expected[next].first
        && (expected[next].second.empty()
            || e["route"] == expected[next].second))
      ++next;
  INFO(stopped.err);
  CHECK(next == expected.size());
  // Fields keep their types: numbers bare, the problem's position named.
  for (auto& e : events) {
    if (e["msg"] == "route added" && e["route"] == "echo") {
      CHECK(e["workers"] == "2");
      CHECK(e["kind"] == "builtin");
    }
    if (e["msg"] == "reload: configuration problem") {
      CHECK(e["where"] == path + ":12:9");
      CHECK(e["problem"].find("log.level 'loud'") != std::string::npos);
    }
  }
}

TEST_CASE("in text format log lines carry an ISO-8601 UTC time, the level "
          "and key=value fields, and the readiness line stays as scripts "
          "read it") {
  scratch s;
  daemon_process d{s.write("n.toml", node_config("format = \"text\"\n"))};
  CHECK(d.ready_line == "listening on " + d.address);
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  auto lines = lines_of(stopped.err);
  REQUIRE(!lines.empty());
  for (auto& line : lines) {
    INFO(line);
    REQUIRE(line.size() > 31);
    CHECK(is_utc_timestamp(line.substr(0, 24)));
    CHECK(line.substr(24, 7) == " info  ");
  }
  CHECK(lines.front().substr(31)
        == "route added route=echo kind=builtin workers=2 "
           "policy=round_robin");
}

TEST_CASE("level warn hides info lines but keeps warnings and errors") {
  scratch s;
  auto path = s.write("n.toml", node_config("level = \"warn\"\n"));
  daemon_process d{path};
  CHECK(d.call({"echo", "x"}).exit_code == 0);
  s.write("n.toml", node_config("level = \"warn\"\nformat = \"xml\"\n"));
  d.proc->signal(SIGHUP);
  REQUIRE(d.proc->wait_for_err("configuration invalid", 10s));
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  INFO(stopped.err);
  CHECK(count_lines_with(stopped.err, " info  ") == 0);
  CHECK(stopped.err.find("route added") == std::string::npos);
  CHECK(stopped.err.find("stopping: draining") == std::string::npos);
  CHECK(count_lines_with(stopped.err, " error reload: configuration invalid")
        == 1);
}

TEST_CASE("a SIGHUP reload applies a new [log] level at once") {
  scratch s;
  auto path = s.write("n.toml", node_config("level = \"info\"\n"));
  daemon_process d{path};
  s.write("n.toml", node_config("level = \"warn\"\n"));
  d.proc->signal(SIGHUP);
  REQUIRE(
    d.proc->wait_for_err("reload: log level changed from=info to=warn", 10s));
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  INFO(stopped.err);
  // The reload's own summary came after the change: hidden, like the drain.
  CHECK(stopped.err.find("reloaded:") == std::string::npos);
  CHECK(stopped.err.find("stopping: draining") == std::string::npos);
}

TEST_CASE("200 connections refused for oversized frames give at most ten "
          "refusal lines and one count of the rest") {
  scratch s;
  daemon_process d{s.write("n.toml", node_config("level = \"info\"\n"))};
  auto port = static_cast<uint16_t>(std::stoi(d.port()));
  constexpr int flood = 200;
  int refused = 0;
  for (int i = 0; i < flood; ++i)
    refused += send_oversized_frame(port) ? 1 : 0;
  CHECK(refused == flood);
  // The node still serves.
  CHECK(d.call({"echo", "still here"}).out == "still here");
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  INFO(stopped.err);
  auto logged = count_lines_with(stopped.err, "announces 4294967040 bytes");
  // One window of 10 s holds ten; a slow run may open a second one.
  CHECK(logged >= 1);
  CHECK(logged <= 20);
  auto suppressed
    = sum_after(stopped.err, "refusals suppressed source=transport count=");
  // Every refusal is accounted for: logged, or counted.
  CHECK(logged + suppressed == static_cast<uint64_t>(flood));
  CHECK(count_lines_with(stopped.err, "refusals suppressed") <= 2);
}

TEST_CASE("worker restarts and a spent restart budget are logged with the "
          "route") {
  scratch s;
  // One worker, the default budget of 5 restarts in 10 s: the sixth death
  // leaves the route without a worker.
  daemon_process d{s.write(
    "n.toml", node_config("level = \"info\"\n",
                          "[[route]]\nname = \"crash\"\nplugin = \""
                            + std::string{CRASH_PLUGIN_PATH} + "\"\n"))};
  for (int i = 0; i < 6; ++i)
    d.call({"crash", "die"});
  REQUIRE(d.proc->wait_for_err(
    "worker lost: restart budget exhausted route=crash workers=0", 10s));
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  INFO(stopped.err);
  CHECK(sum_after(stopped.err, " warn  worker restarted route=crash count=")
        == 5);
  CHECK(stopped.err.find(" restarts=5 workers=") != std::string::npos);
}
