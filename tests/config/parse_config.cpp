#include "switchboard/config/node_config.hpp"

#include <unistd.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard::config;
using namespace switchboard::test;
using namespace std::chrono_literals;
using switchboard::core::policy_kind;

namespace {

/// The configuration example of the issue, byte for byte.
constexpr const char* issue_example = R"([node]
name = "edge-1"                 # default: host name
listen = "127.0.0.1:7700"       # omit to not listen
[limits]                        # defaults for every route
timeout = "5s"                  # durations: "250ms", "5s", "1m"
max_in_flight = 10000
max_payload = "1MiB"            # sizes: "512B", "64KiB", "1MiB"
[[route]]
name = "echo"
handler = "echo"                # a built-in
workers = 2
policy = "round_robin"          # round_robin | random | least_loaded | consistent_hash
[[route]]
name = "upper"
exec = ["/usr/bin/tr", "a-z", "A-Z"]   # argv; never through a shell
workers = 4
timeout = "2s"
env = { LC_ALL = "C" }          # the child's whole environment
[[route]]
name = "hello"
plugin = "examples/plugin/libhello_plugin.so"
)";

std::string host_name() {
  char buf[256] = {};
  REQUIRE(gethostname(buf, sizeof(buf) - 1) == 0);
  return buf;
}

using strings = std::vector<std::string>;
using environment = std::map<std::string, std::string>;

} // namespace

TEST_CASE("the issue's example parses into the node it describes") {
  auto cfg = parse_ok(issue_example);
  CHECK(cfg.name == "edge-1");
  REQUIRE(cfg.listen);
  CHECK(cfg.listen->host == "127.0.0.1");
  CHECK(cfg.listen->port == 7700);
  CHECK(cfg.drain == std::chrono::nanoseconds{10s});
  CHECK(cfg.scheduler == "sharing");
  CHECK(cfg.limits.timeout == std::chrono::nanoseconds{5s});
  CHECK(cfg.limits.max_in_flight == 10000);
  CHECK(cfg.limits.max_payload == uint64_t{1024} * 1024);
  REQUIRE(cfg.routes.size() == 3);
}

TEST_CASE("the issue's built-in route keeps its handler, workers and policy") {
  auto cfg = parse_ok(issue_example);
  REQUIRE(cfg.routes.size() == 3);
  auto& echo = cfg.routes[0];
  CHECK(echo.name == "echo");
  CHECK(echo.kind == handler_kind::builtin);
  CHECK(echo.builtin == "echo");
  CHECK(echo.argv.empty());
  CHECK(echo.env.empty());
  CHECK(echo.plugin.empty());
  CHECK(echo.workers == 2);
  CHECK(echo.policy == policy_kind::round_robin);
  CHECK_FALSE(echo.timeout.has_value());
  CHECK_FALSE(echo.max_in_flight.has_value());
  CHECK_FALSE(echo.max_payload.has_value());
  CHECK(pos(echo.position) == "test.toml:8:1");
  CHECK(pos(echo.handler_position) == "test.toml:10:11");
}

TEST_CASE("the issue's exec route keeps its argv, environment and timeout") {
  auto cfg = parse_ok(issue_example);
  REQUIRE(cfg.routes.size() == 3);
  auto& upper = cfg.routes[1];
  CHECK(upper.name == "upper");
  CHECK(upper.kind == handler_kind::exec);
  CHECK(upper.builtin.empty());
  CHECK(upper.argv == strings{"/usr/bin/tr", "a-z", "A-Z"});
  CHECK(upper.env == environment{{"LC_ALL", "C"}});
  CHECK(upper.plugin.empty());
  CHECK(upper.workers == 4);
  CHECK(upper.policy == policy_kind::round_robin);
  REQUIRE(upper.timeout);
  CHECK(*upper.timeout == std::chrono::nanoseconds{2s});
  CHECK_FALSE(upper.max_in_flight.has_value());
  CHECK_FALSE(upper.max_payload.has_value());
  CHECK(pos(upper.position) == "test.toml:13:1");
  CHECK(pos(upper.handler_position) == "test.toml:15:8");
}

TEST_CASE("the issue's plugin route keeps its library path and defaults") {
  auto cfg = parse_ok(issue_example);
  REQUIRE(cfg.routes.size() == 3);
  auto& hello = cfg.routes[2];
  CHECK(hello.name == "hello");
  CHECK(hello.kind == handler_kind::plugin);
  CHECK(hello.builtin.empty());
  CHECK(hello.argv.empty());
  CHECK(hello.env.empty());
  CHECK(hello.plugin == "examples/plugin/libhello_plugin.so");
  CHECK(hello.workers == 1);
  CHECK(hello.policy == policy_kind::round_robin);
  CHECK_FALSE(hello.timeout.has_value());
  CHECK_FALSE(hello.max_in_flight.has_value());
  CHECK_FALSE(hello.max_payload.has_value());
  CHECK(pos(hello.position) == "test.toml:19:1");
  CHECK(pos(hello.handler_position) == "test.toml:21:10");
}

TEST_CASE("an empty document is a node with every default and no routes") {
  auto cfg = parse_ok("");
  CHECK(cfg.name == host_name());
  CHECK_FALSE(cfg.listen.has_value());
  CHECK(cfg.drain == std::chrono::nanoseconds{10s});
  CHECK(cfg.limits.timeout == std::chrono::nanoseconds{5s});
  CHECK(cfg.limits.max_in_flight == 10000);
  CHECK(cfg.limits.max_payload == uint64_t{1024} * 1024);
  CHECK(cfg.routes.empty());
}

TEST_CASE("a node without a name is named after the host") {
  auto cfg = parse_ok("[node]\nlisten = \"127.0.0.1:0\"\n");
  CHECK(cfg.name == host_name());
  REQUIRE(cfg.listen);
  CHECK(cfg.listen->host == "127.0.0.1");
  CHECK(cfg.listen->port == 0);
}

TEST_CASE("a node without listen does not listen") {
  auto cfg = parse_ok("[node]\nname = \"quiet\"\n");
  CHECK(cfg.name == "quiet");
  CHECK_FALSE(cfg.listen.has_value());
}

TEST_CASE("an empty [limits] keeps every default limit") {
  auto cfg = parse_ok("[limits]\n");
  CHECK(cfg.limits.timeout == std::chrono::nanoseconds{5s});
  CHECK(cfg.limits.max_in_flight == 10000);
  CHECK(cfg.limits.max_payload == uint64_t{1024} * 1024);
}

TEST_CASE("node and limit values other than the defaults are read") {
  auto cfg = parse_ok(R"([node]
name = "edge-2"
listen = "[::1]:9000"
drain = "1m"
scheduler = "sharing"
[limits]
timeout = "250ms"
max_in_flight = 42
max_payload = "64KiB"
)");
  CHECK(cfg.name == "edge-2");
  REQUIRE(cfg.listen);
  CHECK(cfg.listen->host == "::1");
  CHECK(cfg.listen->port == 9000);
  CHECK(cfg.drain == std::chrono::nanoseconds{1min});
  CHECK(cfg.scheduler == "sharing");
  CHECK(cfg.limits.timeout == std::chrono::nanoseconds{250ms});
  CHECK(cfg.limits.max_in_flight == 42);
  CHECK(cfg.limits.max_payload == uint64_t{64} * 1024);
}

TEST_CASE("a route with only a name and a handler takes the route defaults") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nhandler = \"echo\"\n");
  REQUIRE(cfg.routes.size() == 1);
  auto& r = cfg.routes[0];
  CHECK(r.name == "a");
  CHECK(r.kind == handler_kind::builtin);
  CHECK(r.builtin == "echo");
  CHECK(r.workers == 1);
  CHECK(r.policy == policy_kind::round_robin);
  CHECK_FALSE(r.timeout.has_value());
  CHECK_FALSE(r.max_in_flight.has_value());
  CHECK_FALSE(r.max_payload.has_value());
}

TEST_CASE("a route overrides every limit it names") {
  auto cfg = parse_ok(R"([[route]]
name = "slow"
handler = "echo"
timeout = "1h"
max_in_flight = 3
max_payload = "512B"
)");
  REQUIRE(cfg.routes.size() == 1);
  auto& r = cfg.routes[0];
  REQUIRE(r.timeout);
  CHECK(*r.timeout == std::chrono::nanoseconds{1h});
  REQUIRE(r.max_in_flight);
  CHECK(*r.max_in_flight == 3);
  REQUIRE(r.max_payload);
  CHECK(*r.max_payload == 512);
  CHECK(cfg.limits.timeout == std::chrono::nanoseconds{5s});
  CHECK(cfg.limits.max_in_flight == 10000);
  CHECK(cfg.limits.max_payload == uint64_t{1024} * 1024);
}

TEST_CASE("every policy name selects its policy") {
  auto cfg = parse_ok(R"([[route]]
name = "a"
handler = "echo"
policy = "round_robin"
[[route]]
name = "b"
handler = "echo"
policy = "random"
[[route]]
name = "c"
handler = "echo"
policy = "least_loaded"
[[route]]
name = "d"
handler = "echo"
policy = "consistent_hash"
[[route]]
name = "e"
handler = "echo"
policy = "broadcast"
)");
  REQUIRE(cfg.routes.size() == 5);
  CHECK(cfg.routes[0].policy == policy_kind::round_robin);
  CHECK(cfg.routes[1].policy == policy_kind::random);
  CHECK(cfg.routes[2].policy == policy_kind::least_loaded);
  CHECK(cfg.routes[3].policy == policy_kind::consistent_hash);
  CHECK(cfg.routes[4].policy == policy_kind::broadcast);
}

TEST_CASE("routes keep the order of the document") {
  auto cfg = parse_ok(R"([[route]]
name = "zulu"
handler = "echo"
[[route]]
name = "alpha"
handler = "echo"
[[route]]
name = "mike"
handler = "echo"
)");
  REQUIRE(cfg.routes.size() == 3);
  CHECK(cfg.routes[0].name == "zulu");
  CHECK(cfg.routes[1].name == "alpha");
  CHECK(cfg.routes[2].name == "mike");
}

TEST_CASE("an exec route without env has an empty environment") {
  auto cfg = parse_ok("[[route]]\nname = \"a\"\nexec = [\"/bin/cat\"]\n");
  REQUIRE(cfg.routes.size() == 1);
  CHECK(cfg.routes[0].kind == handler_kind::exec);
  CHECK(cfg.routes[0].argv == strings{"/bin/cat"});
  CHECK(cfg.routes[0].env.empty());
}

TEST_CASE("an exec route's environment may be a [route.env] table") {
  auto cfg = parse_ok(R"([[route]]
name = "a"
exec = ["/usr/bin/env"]
[route.env]
PATH = "/usr/bin"
LC_ALL = "C"
)");
  REQUIRE(cfg.routes.size() == 1);
  CHECK(cfg.routes[0].env
        == environment{{"LC_ALL", "C"}, {"PATH", "/usr/bin"}});
}

TEST_CASE("routes may be written as an inline array of tables") {
  auto cfg = parse_ok(
    "route = [{ name = \"a\", handler = \"echo\" }, { name = \"b\", "
    "plugin = \"b.so\" }]\n");
  REQUIRE(cfg.routes.size() == 2);
  CHECK(cfg.routes[0].name == "a");
  CHECK(cfg.routes[0].builtin == "echo");
  CHECK(pos(cfg.routes[0].position) == "test.toml:1:10");
  CHECK(pos(cfg.routes[0].handler_position) == "test.toml:1:34");
  CHECK(cfg.routes[1].name == "b");
  CHECK(cfg.routes[1].plugin == "b.so");
}

// toml++ 3.3 places an array-of-tables element at the first '[' of its
// header: the line of the header, the column of its first bracket.
TEST_CASE("a route's position is the first bracket of its [[route]] header") {
  auto cfg = parse_ok(R"(# leading comment

[[route]] # trailing comment
name = "a"
handler = "echo"

    [[route]]
    name = "b"
    exec = ["/bin/cat"]
)");
  REQUIRE(cfg.routes.size() == 2);
  CHECK(pos(cfg.routes[0].position) == "test.toml:3:1");
  CHECK(pos(cfg.routes[0].handler_position) == "test.toml:5:11");
  CHECK(pos(cfg.routes[1].position) == "test.toml:7:5");
  CHECK(pos(cfg.routes[1].handler_position) == "test.toml:9:12");
}

TEST_CASE("positions carry the source name given to parse_config") {
  auto result = parse_config("[[route]]\nname = \"a\"\nhandler = \"echo\"\n",
                             "conf/edge.toml");
  REQUIRE(result.config);
  REQUIRE(result.config->routes.size() == 1);
  CHECK(result.config->routes[0].position.file == "conf/edge.toml");
  CHECK(result.config->routes[0].handler_position.file == "conf/edge.toml");
}

TEST_CASE("the default configuration listens on 127.0.0.1:7700 with echo") {
  auto cfg = parse_ok(default_config_text);
  REQUIRE(cfg.listen);
  CHECK(cfg.listen->host == "127.0.0.1");
  CHECK(cfg.listen->port == 7700);
  CHECK(cfg.name == host_name());
  REQUIRE(cfg.routes.size() == 1);
  CHECK(cfg.routes[0].name == "echo");
  CHECK(cfg.routes[0].kind == handler_kind::builtin);
  CHECK(cfg.routes[0].builtin == "echo");
  CHECK(cfg.routes[0].workers == 2);
}

TEST_CASE("handler kinds render as their names") {
  CHECK(to_string(handler_kind::builtin) == "builtin");
  CHECK(to_string(handler_kind::exec) == "exec");
  CHECK(to_string(handler_kind::plugin) == "plugin");
}

TEST_CASE("an empty handler or plugin name is refused where it stands") {
  // Found by fuzz_config (tests/fuzz/regressions/config/empty_handler.toml):
  // the reader took `handler = ""` as a built-in with no name.
  auto x = only_problem("[[route]]\nname = \"aa\"\nhandler = \"\"\n");
  CHECK(pos(x) == "3:11");
  CHECK(x.message == "route 'aa' handler is empty (name a built-in handler, "
                     "e.g. \"echo\")");
  auto y = only_problem("[[route]]\nname = \"bb\"\nplugin = \"\"\n");
  CHECK(pos(y) == "3:10");
  CHECK(y.message == "route 'bb' plugin is empty (give the path of a shared "
                     "object)");
}
