// Bounds the reader checks, so that check-config refuses what serve could
// not run: workers, max_in_flight, route count, heartbeat, durations, route
// names; and where relative exec and plugin paths point.

#include "switchboard/config/node_config.hpp"

#include <string>

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard::config;
using namespace switchboard::test;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

std::string echo_route(const std::string& extra) {
  return "[[route]]\nname = \"a\"\nhandler = \"echo\"\n" + extra;
}

} // namespace

// -- workers and max_in_flight ----------------------------------------------

TEST_CASE("route workers lie in [1, 4096]") {
  CHECK(parse_ok(echo_route("workers = 4096\n")).routes[0].workers == 4096);
  auto x = only_problem(echo_route("workers = 4097\n"));
  CHECK(pos(x) == "4:11");
  CHECK(x.message == "route 'a' workers must be at most 4096, not 4097");
}

TEST_CASE("max_in_flight lies in [1, 1000000] in [limits] and in a route") {
  CHECK(parse_ok("[limits]\nmax_in_flight = 1000000\n").limits.max_in_flight
        == 1000000);
  auto x = only_problem("[limits]\nmax_in_flight = 1000001\n");
  CHECK(pos(x) == "2:17");
  CHECK(x.message
        == "limits.max_in_flight must be at most 1000000, not 1000001");
  auto y = only_problem(echo_route("max_in_flight = 9223372036854775807\n"));
  CHECK(pos(y) == "4:17");
  CHECK_THAT(y.message, Contains("max_in_flight must be at most 1000000"));
}

TEST_CASE("a configuration holds at most 100000 routes") {
  auto routes = [](size_t n) {
    std::string text;
    for (size_t i = 0; i < n; ++i)
      text += "[[route]]\nname = \"r" + std::to_string(i)
              + "\"\nhandler = \"echo\"\n";
    return text;
  };
  CHECK(parse_ok(routes(bounds::max_routes)).routes.size()
        == bounds::max_routes);
  auto x = only_problem(routes(bounds::max_routes + 1));
  CHECK(pos(x) == std::to_string(3 * bounds::max_routes + 1) + ":1");
  CHECK(x.message == "too many routes: a configuration holds at most 100000");
}

// -- durations ----------------------------------------------------------------

TEST_CASE("mesh.heartbeat is at least 10ms and peer_timeout at least 20ms") {
  auto ok = parse_ok("[mesh]\nheartbeat = \"10ms\"\npeer_timeout = \"20ms\"\n");
  CHECK(ok.mesh.heartbeat == std::chrono::nanoseconds{10ms});
  CHECK(ok.mesh.peer_timeout == std::chrono::nanoseconds{20ms});
  auto x = only_problem("[mesh]\nheartbeat = \"9ms\"\n");
  CHECK(pos(x) == "2:13");
  CHECK(x.message == "mesh.heartbeat '9ms' must be at least 10ms");
  auto y = only_problem(
    "[mesh]\nheartbeat = \"10ms\"\npeer_timeout = \"19999us\"\n");
  CHECK(pos(y) == "3:16");
  CHECK(y.message == "mesh.peer_timeout '19999us' must be at least 20ms");
}

TEST_CASE("a duration past int64 nanoseconds is refused, naming the bound") {
  for (auto text : {"9223372036854775807s", "9223372036854775807ns",
                    "2562048h", "18446744073709551617s"}) {
    auto x = only_problem("[limits]\ntimeout = \"" + std::string{text}
                          + "\"\n");
    CHECK(pos(x) == "2:11");
    CHECK(x.message
          == "limits.timeout '" + std::string{text}
               + "' is longer than 8760h, the longest duration");
  }
}

TEST_CASE("a route timeout and a drain of 365 days are accepted, one more "
          "hour is not") {
  auto cfg = parse_ok(echo_route("timeout = \"8760h\"\n"));
  CHECK(cfg.routes[0].timeout == std::chrono::nanoseconds{8760h});
  auto x = only_problem("[node]\ndrain = \"8761h\"\n");
  CHECK(pos(x) == "2:9");
  CHECK_THAT(x.message, Contains("node.drain '8761h' is longer than 8760h"));
}

// -- route names --------------------------------------------------------------

TEST_CASE("a route name with a control character is refused at the name") {
  auto x = only_problem("[[route]]\nname = \"a\\nb\"\nhandler = \"echo\"\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("route.name is not usable"));
  CHECK_THAT(x.message, Contains("control"));
}

TEST_CASE("a route name of 256 bytes is refused, 255 accepted") {
  auto named = [](size_t n) {
    return "[[route]]\nname = \"" + std::string(n, 'x')
           + "\"\nhandler = \"echo\"\n";
  };
  CHECK(parse_ok(named(255)).routes[0].name.size() == 255);
  auto x = only_problem(named(256));
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("at most 255 bytes"));
}

TEST_CASE("a route name with a bidirectional override is refused") {
  auto x = only_problem(
    "[[route]]\nname = \"pay\\u202Eevil\"\nhandler = \"echo\"\n");
  CHECK_THAT(x.message, Contains("U+202E"));
}

// -- relative paths -------------------------------------------------------------

TEST_CASE("a relative exec program with a slash is taken from the "
          "configuration's directory") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nexec = [\"bin/run\", \"x/y\"]\n",
                      "/etc/sb/node.toml");
  CHECK(cfg.routes[0].argv
        == std::vector<std::string>{"/etc/sb/bin/run", "x/y"});
  auto dotted = parse_ok("[[route]]\nname = \"a\"\nexec = [\"./run\"]\n",
                         "/etc/sb/node.toml");
  CHECK(dotted.routes[0].argv[0] == "/etc/sb/./run");
}

TEST_CASE("a bare exec program name is kept for the PATH lookup") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nexec = [\"tr\", \"a\"]\n",
                      "/etc/sb/node.toml");
  CHECK(cfg.routes[0].argv == std::vector<std::string>{"tr", "a"});
}

TEST_CASE("an absolute exec program is kept as written") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nexec = [\"/bin/cat\"]\n",
                      "/etc/sb/node.toml");
  CHECK(cfg.routes[0].argv[0] == "/bin/cat");
}

TEST_CASE("a relative plugin path is taken from the configuration's "
          "directory, a bare library name is not") {
  auto cfg = parse_ok(
    "[[route]]\nname = \"a\"\nplugin = \"lib/libp.so\"\n"
    "[[route]]\nname = \"b\"\nplugin = \"libm.so.6\"\n"
    "[[route]]\nname = \"c\"\nplugin = \"/opt/libq.so\"\n",
    "conf/node.toml");
  CHECK(cfg.routes[0].plugin == "conf/lib/libp.so");
  CHECK(cfg.routes[1].plugin == "libm.so.6");
  CHECK(cfg.routes[2].plugin == "/opt/libq.so");
}

TEST_CASE("exec and plugin paths of text that is not a file are kept") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nexec = [\"bin/run\"]\n"
                      "[[route]]\nname = \"b\"\nplugin = \"lib/p.so\"\n",
                      "<built-in default>");
  CHECK(cfg.routes[0].argv[0] == "bin/run");
  CHECK(cfg.routes[1].plugin == "lib/p.so");
}
