// `[http]`: the HTTP front door's address and bounds.

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

TEST_CASE("[http] is off by default and takes listen and its bounds") {
  CHECK_FALSE(parse_ok("[node]\nname = \"n\"\n").http);
  auto cfg = parse_ok("[http]\nlisten = \"127.0.0.1:7780\"\n"
                      "max_connections = 10\nthreads = 4\n"
                      "read_timeout = \"250ms\"\n");
  REQUIRE(cfg.http);
  CHECK(cfg.http->listen.host == "127.0.0.1");
  CHECK(cfg.http->listen.port == 7780);
  CHECK(cfg.http->max_connections == 10);
  CHECK(cfg.http->threads == 4);
  CHECK(cfg.http->read_timeout == 250ms);
  auto defaults = parse_ok("[http]\nlisten = \"[::1]:0\"\n");
  REQUIRE(defaults.http);
  CHECK(defaults.http->max_connections == 256);
  CHECK(defaults.http->threads == 16);
  CHECK(defaults.http->read_timeout == 5s);
}

TEST_CASE("[http] without listen, with a bad address or out-of-bounds "
          "values is refused at the value") {
  auto none = only_problem("[http]\nthreads = 2\n");
  CHECK(none.message.find("[http] needs listen") != std::string::npos);
  auto bad = only_problem("[http]\nlisten = \"localhost\"\n");
  CHECK(pos(bad) == "2:10");
  CHECK(bad.message.find("http.listen") != std::string::npos);
  auto conns = only_problem("[http]\nlisten = \"127.0.0.1:0\"\n"
                            "max_connections = 0\n");
  CHECK(pos(conns) == "3:19");
  auto threads = only_problem("[http]\nlisten = \"127.0.0.1:0\"\n"
                              "threads = 5000\n");
  CHECK(pos(threads) == "3:11");
  auto timeout = only_problem("[http]\nlisten = \"127.0.0.1:0\"\n"
                              "read_timeout = \"0s\"\n");
  CHECK(pos(timeout) == "3:16");
  auto unknown = only_problem("[http]\nlisten = \"127.0.0.1:0\"\nport = 1\n");
  CHECK(unknown.message.find("port") != std::string::npos);
}

TEST_CASE("[http] beyond loopback needs [tls] or [node] insecure") {
  auto open = only_problem("[http]\nlisten = \"0.0.0.0:7780\"\n");
  CHECK(pos(open) == "2:10");
  CHECK(open.message.find("not a loopback address") != std::string::npos);
  CHECK(parse_ok("[node]\ninsecure = true\n\n[http]\nlisten = "
                 "\"0.0.0.0:7780\"\n")
          .http);
}
