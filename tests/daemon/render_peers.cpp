// The daemon's renderings of per-peer metrics (Prometheus, JSON, table) as
// plain functions: names, labels, escaping and both directions.

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "switchboard/daemon/render.hpp"

using namespace switchboard;

namespace {

std::vector<core::peer_stats> two_peers() {
  core::peer_stats b;
  b.name = "B\"x\\y";
  b.address = "127.0.0.1:7701";
  b.up = true;
  b.connects = 2;
  b.calls_out = 7;
  b.calls_in = 3;
  b.replies_out = 3;
  b.replies_in = 7;
  b.bytes_out = 12345;
  b.bytes_in = 678;
  core::peer_stats never;
  never.address = "10.0.0.9:7700";
  return {never, b};
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("prometheus shows each peer's calls, replies and bytes in both directions") {
  auto t = daemon::prometheus({}, two_peers(), daemon::process_basics{});
  CHECK(has_line(t, R"(switchboard_peer_up{peer="B\"x\\y"} 1)"));
  CHECK(has_line(t, R"(switchboard_peer_connects_total{peer="B\"x\\y"} 2)"));
  CHECK(has_line(t, R"(switchboard_peer_calls_total{peer="B\"x\\y",direction="out"} 7)"));
  CHECK(has_line(t, R"(switchboard_peer_calls_total{peer="B\"x\\y",direction="in"} 3)"));
  CHECK(has_line(t, R"(switchboard_peer_replies_total{peer="B\"x\\y",direction="out"} 3)"));
  CHECK(has_line(t, R"(switchboard_peer_replies_total{peer="B\"x\\y",direction="in"} 7)"));
  CHECK(has_line(t, R"(switchboard_peer_bytes_total{peer="B\"x\\y",direction="out"} 12345)"));
  CHECK(has_line(t, R"(switchboard_peer_bytes_total{peer="B\"x\\y",direction="in"} 678)"));
  // A configured peer that never connected goes by its address.
  CHECK(has_line(t, R"(switchboard_peer_up{peer="10.0.0.9:7700"} 0)"));
  CHECK(has_line(t, R"(switchboard_peer_calls_total{peer="10.0.0.9:7700",direction="out"} 0)"));
  for (auto metric : {"switchboard_peer_connects_total", "switchboard_peer_calls_total",
                      "switchboard_peer_replies_total", "switchboard_peer_bytes_total"}) {
    INFO(metric);
    CHECK(t.find(std::string{"# HELP "} + metric + " ") != std::string::npos);
    CHECK(has_line(t, std::string{"# TYPE "} + metric + " counter"));
  }
}

TEST_CASE("stats --json puts the routes and the peers side by side") {
  auto j = daemon::node_stats_json({}, two_peers());
  CHECK(j
        == "{\"routes\": [],\n\"peers\": [\n"
           "  {\"name\": \"\", \"address\": \"10.0.0.9:7700\", \"up\": false, "
           "\"connects\": 0, \"calls\": {\"in\": 0, \"out\": 0}, "
           "\"replies\": {\"in\": 0, \"out\": 0}, "
           "\"bytes\": {\"in\": 0, \"out\": 0}},\n"
           "  {\"name\": \"B\\\"x\\\\y\", \"address\": \"127.0.0.1:7701\", "
           "\"up\": true, \"connects\": 2, \"calls\": {\"in\": 3, \"out\": 7}, "
           "\"replies\": {\"in\": 7, \"out\": 3}, "
           "\"bytes\": {\"in\": 678, \"out\": 12345}}\n]}\n");
}

TEST_CASE("the peers table names a peer that never connected by its address") {
  auto t = daemon::peers_table(two_peers());
  CHECK(t.rfind("PEER ", 0) == 0);
  CHECK(t.find("\n10.0.0.9:7700 ") != std::string::npos);
  CHECK(t.find(" no ") != std::string::npos);
  CHECK(t.find(" yes ") != std::string::npos);
  CHECK(t.find(" 12345 ") != std::string::npos);
}
