#include "switchboard/config/node_config.hpp"

#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard::config;
using namespace switchboard::test;
using Catch::Matchers::Contains;

// -- syntax -----------------------------------------------------------------

TEST_CASE("a TOML syntax error is reported where parsing stopped") {
  auto x = only_problem("[node]\nname = = 1\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("could not determine value type"));
}

TEST_CASE("an unterminated table header is a syntax error at the line end") {
  auto x = only_problem("[[route]\nname = \"a\"\n");
  CHECK(pos(x) == "1:9");
  CHECK_THAT(x.message, Contains("table header"));
}

TEST_CASE("a key given twice is a syntax error at the second value") {
  auto x = only_problem("[node]\nname = \"a\"\nname = \"b\"\n");
  CHECK(pos(x) == "3:8");
  CHECK_THAT(x.message, Contains("'name'"));
}

TEST_CASE("a syntax error at the end of the text stands at the end of its "
          "last line") {
  // Found by fuzz_config: toml++ puts the end of the text one column past
  // the last newline (1:9 here, on a line of 7 bytes).
  auto x = only_problem("a = [1,\n");
  CHECK(pos(x) == "1:8");
  CHECK_THAT(x.message, Contains("end-of-file"));
  CHECK(pos(only_problem("a = [1,\n\n")) == "2:1");
  CHECK(pos(only_problem("a = [1,")) == "1:8");
}

// -- unknown keys -----------------------------------------------------------

TEST_CASE("an unknown top-level key is reported at the key") {
  auto x = only_problem("[node]\nname = \"a\"\n[limit]\ntimeout = \"5s\"\n");
  CHECK(pos(x) == "3:2");
  CHECK_THAT(x.message, Contains("unknown key 'limit'"));
  CHECK_THAT(x.message, Contains("top level"));
}

TEST_CASE("an unknown top-level value key is reported at the key") {
  auto x = only_problem("colour = \"red\"\n[node]\nname = \"a\"\n");
  CHECK(pos(x) == "1:1");
  CHECK_THAT(x.message, Contains("unknown key 'colour'"));
}

TEST_CASE("an unknown key in [node] is reported at the key") {
  auto x = only_problem("[node]\nname = \"a\"\n  lisen = \"127.0.0.1:1\"\n");
  CHECK(pos(x) == "3:3");
  CHECK_THAT(x.message, Contains("unknown key 'lisen' in [node]"));
}

TEST_CASE("an unknown key in [limits] is reported at the key") {
  auto x = only_problem("[limits]\ntimeout = \"5s\"\nmax_inflight = 3\n");
  CHECK(pos(x) == "3:1");
  CHECK_THAT(x.message, Contains("unknown key 'max_inflight' in [limits]"));
}

TEST_CASE("an unknown key in a route is reported at the key") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nworker = 2\n");
  CHECK(pos(x) == "4:1");
  CHECK_THAT(x.message, Contains("unknown key 'worker' in [[route]]"));
}

TEST_CASE("an unknown key in a later route is reported in that route") {
  auto x = only_problem(R"([[route]]
name = "a"
handler = "echo"
[[route]]
name = "b"
handler = "echo"
polcy = "random"
)");
  CHECK(pos(x) == "7:1");
  CHECK_THAT(x.message, Contains("unknown key 'polcy'"));
}

// -- wrong types ------------------------------------------------------------

TEST_CASE("a string where an integer is expected is a type error") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nworkers = \"2\"\n");
  CHECK(pos(x) == "4:11");
  CHECK_THAT(x.message, Contains("workers"));
  CHECK_THAT(x.message, Contains("must be an integer, not a string"));
}

TEST_CASE("a string for limits.max_in_flight is a type error") {
  auto x = only_problem("[limits]\nmax_in_flight = \"10\"\n");
  CHECK(pos(x) == "2:17");
  CHECK_THAT(x.message, Contains("limits.max_in_flight"));
  CHECK_THAT(x.message, Contains("must be an integer, not a string"));
}

TEST_CASE("a float for workers is a type error") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nworkers = 2.5\n");
  CHECK(pos(x) == "4:11");
  CHECK_THAT(x.message, Contains("workers"));
  CHECK_THAT(x.message, Contains("not a float"));
}

TEST_CASE("an integer where a string is expected is a type error") {
  auto x = only_problem("[node]\nname = 7\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("node.name"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an integer for a route name is a type error") {
  auto x = only_problem("[[route]]\nname = 5\nhandler = \"echo\"\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("route.name"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an integer for listen is a type error") {
  auto x = only_problem("[node]\nlisten = 7700\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message, Contains("node.listen"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an integer for a duration is a type error") {
  auto x = only_problem("[limits]\ntimeout = 5\n");
  CHECK(pos(x) == "2:11");
  CHECK_THAT(x.message, Contains("limits.timeout"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an integer for a size is a type error") {
  auto x = only_problem("[limits]\nmax_payload = 1048576\n");
  CHECK(pos(x) == "2:15");
  CHECK_THAT(x.message, Contains("limits.max_payload"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("a boolean for a handler is a type error") {
  auto x = only_problem("[[route]]\nname = \"a\"\nhandler = true\n");
  CHECK(pos(x) == "3:11");
  CHECK_THAT(x.message, Contains("handler"));
  CHECK_THAT(x.message, Contains("must be a string, not a boolean"));
}

TEST_CASE("an integer for a plugin is a type error") {
  auto x = only_problem("[[route]]\nname = \"a\"\nplugin = 1\n");
  CHECK(pos(x) == "3:10");
  CHECK_THAT(x.message, Contains("plugin"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("an integer for a policy is a type error") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\npolicy = 1\n");
  CHECK(pos(x) == "4:10");
  CHECK_THAT(x.message, Contains("policy"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("exec given as a string is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nexec = \"/usr/bin/tr a-z A-Z\"\n");
  CHECK(pos(x) == "3:8");
  CHECK_THAT(x.message, Contains("exec must be a non-empty array of strings"));
}

TEST_CASE("an empty exec array is reported at the value") {
  auto x = only_problem("[[route]]\nname = \"a\"\nexec = []\n");
  CHECK(pos(x) == "3:8");
  CHECK_THAT(x.message, Contains("exec must be a non-empty array of strings"));
}

TEST_CASE("an exec argument that is not a string is reported at the element") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nexec = [\"/usr/bin/tr\", 1]\n");
  CHECK(pos(x) == "3:24");
  CHECK_THAT(x.message, Contains("exec arguments must be strings"));
  CHECK_THAT(x.message, Contains("not an integer"));
}

TEST_CASE("every exec argument that is not a string is reported") {
  auto xs = problems_in(
    "[[route]]\nname = \"a\"\nexec = [1, \"x\", [\"y\"], 2.0]\n");
  REQUIRE(xs.size() == 3);
  CHECK(pos(xs[0]) == "3:9");
  CHECK_THAT(xs[0].message, Contains("not an integer"));
  CHECK(pos(xs[1]) == "3:17");
  CHECK_THAT(xs[1].message, Contains("not an array"));
  CHECK(pos(xs[2]) == "3:24");
  CHECK_THAT(xs[2].message, Contains("not a float"));
}

TEST_CASE("env that is not a table is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nexec = [\"/bin/cat\"]\nenv = \"LC_ALL=C\"\n");
  CHECK(pos(x) == "4:7");
  CHECK_THAT(x.message, Contains("env must be a table, not a string"));
}

TEST_CASE("an env value that is not a string is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nexec = [\"/bin/cat\"]\nenv = { LC_ALL = 1 }\n");
  CHECK(pos(x) == "4:18");
  CHECK_THAT(x.message, Contains("env.LC_ALL"));
  CHECK_THAT(x.message, Contains("must be a string, not an integer"));
}

TEST_CASE("a [node] that is not a table is reported at the value") {
  auto x = only_problem("node = 5\n");
  CHECK(pos(x) == "1:8");
  CHECK_THAT(x.message, Contains("node must be a table"));
}

TEST_CASE("a [limits] that is not a table is reported at the value") {
  auto x = only_problem("limits = \"fast\"\n");
  CHECK(pos(x) == "1:10");
  CHECK_THAT(x.message, Contains("limits must be a table"));
}

TEST_CASE("a route that is not an array of tables is reported") {
  auto x = only_problem("route = \"echo\"\n");
  CHECK(pos(x) == "1:9");
  CHECK_THAT(x.message, Contains("route must be an array of tables"));
}

TEST_CASE("a single [route] table instead of [[route]] is reported") {
  auto x = only_problem("[node]\nname = \"n\"\n[route]\nname = \"a\"\n");
  CHECK(pos(x) == "3:1");
  CHECK_THAT(x.message, Contains("route must be an array of tables"));
}

// -- bad values -------------------------------------------------------------

TEST_CASE("a duration without a unit is reported at the value") {
  auto x = only_problem("[limits]\ntimeout = \"5\"\n");
  CHECK(pos(x) == "2:11");
  CHECK_THAT(x.message, Contains("limits.timeout '5'"));
  CHECK_THAT(x.message, Contains("not a positive duration"));
}

TEST_CASE("a route timeout with an unknown unit is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\ntimeout = \"2sec\"\n");
  CHECK(pos(x) == "4:11");
  CHECK_THAT(x.message, Contains("timeout '2sec'"));
  CHECK_THAT(x.message, Contains("not a positive duration"));
}

TEST_CASE("a zero timeout is refused") {
  auto x = only_problem("[limits]\ntimeout = \"0s\"\n");
  CHECK(pos(x) == "2:11");
  CHECK_THAT(x.message, Contains("limits.timeout '0s'"));
}

TEST_CASE("a bad drain duration is reported at the value") {
  auto x = only_problem("[node]\ndrain = \"ten seconds\"\n");
  CHECK(pos(x) == "2:9");
  CHECK_THAT(x.message, Contains("node.drain 'ten seconds'"));
}

TEST_CASE("a scheduler other than stealing or sharing is reported at the value") {
  auto x = only_problem("[node]\nscheduler = \"fifo\"\n");
  CHECK(pos(x) == "2:13");
  CHECK_THAT(x.message, Contains("node.scheduler 'fifo'"));
}

// 18446744073709551617 is 2^64 + 1; parse_duration wraps it to 1, so the
// reader accepts a timeout of one second.
TEST_CASE("a timeout past 2^64 is reported, not read as a small one") {
  auto result = parse_config("[limits]\ntimeout = \"18446744073709551617s\"\n",
                             "test.toml");
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.problems.size() == 1);
  CHECK(pos(result.problems[0]) == "2:11");
}

TEST_CASE("a size with a decimal unit is reported at the value") {
  auto x = only_problem("[limits]\nmax_payload = \"1MB\"\n");
  CHECK(pos(x) == "2:15");
  CHECK_THAT(x.message, Contains("limits.max_payload '1MB'"));
  CHECK_THAT(x.message, Contains("not a positive size"));
}

TEST_CASE("a zero route max_payload is refused") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nmax_payload = \"0B\"\n");
  CHECK(pos(x) == "4:15");
  CHECK_THAT(x.message, Contains("max_payload '0B'"));
}

TEST_CASE("zero workers are refused") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nworkers = 0\n");
  CHECK(pos(x) == "4:11");
  CHECK_THAT(x.message, Contains("workers must be at least 1, not 0"));
}

TEST_CASE("negative workers are refused") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nworkers = -3\n");
  CHECK(pos(x) == "4:11");
  CHECK_THAT(x.message, Contains("workers must be at least 1, not -3"));
}

TEST_CASE("a zero limits.max_in_flight is refused") {
  auto x = only_problem("[limits]\nmax_in_flight = 0\n");
  CHECK(pos(x) == "2:17");
  CHECK_THAT(x.message,
             Contains("limits.max_in_flight must be at least 1, not 0"));
}

TEST_CASE("a negative route max_in_flight is refused") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nmax_in_flight = -1\n");
  CHECK(pos(x) == "4:17");
  CHECK_THAT(x.message, Contains("max_in_flight must be at least 1, not -1"));
}

TEST_CASE("an unknown policy is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\npolicy = \"fastest\"\n");
  CHECK(pos(x) == "4:10");
  CHECK_THAT(x.message, Contains("policy 'fastest' is unknown"));
}

TEST_CASE("an empty node name is refused") {
  auto x = only_problem("[node]\nname = \"\"\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("node.name must not be empty"));
}

TEST_CASE("an empty route name is refused") {
  auto x = only_problem("[[route]]\nname = \"\"\nhandler = \"echo\"\n");
  CHECK(pos(x) == "2:8");
  CHECK_THAT(x.message, Contains("route.name must not be empty"));
}

// -- routes -----------------------------------------------------------------

TEST_CASE("a duplicate route name is reported at the second name") {
  auto x = only_problem(R"([[route]]
name = "a"
handler = "echo"
[[route]]
handler = "echo"
  name = "a"
)");
  CHECK(pos(x) == "6:10");
  CHECK_THAT(x.message, Contains("duplicate route name 'a'"));
}

TEST_CASE("a name used three times is reported at the second and third") {
  auto xs = problems_in(R"([[route]]
name = "a"
handler = "echo"
[[route]]
name = "a"
handler = "echo"
[[route]]
name = "a"
handler = "echo"
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "5:8");
  CHECK(pos(xs[1]) == "8:8");
}

// Every problem is reported: a duplicate name is a problem even when the
// route has another one. The reader skips the name check for such routes.
TEST_CASE("a duplicate route name is reported even if the route has another "
          "problem") {
  auto xs = problems_in(R"([[route]]
name = "a"
handler = "echo"
[[route]]
name = "a"
handler = "echo"
workers = 0
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "5:8");
  CHECK_THAT(xs[0].message, Contains("duplicate route name 'a'"));
  CHECK(pos(xs[1]) == "7:11");
}

TEST_CASE("a route without handler, exec or plugin is reported at its table") {
  auto x = only_problem(
    "[node]\nname = \"n\"\n\n  [[route]]\nname = \"a\"\nworkers = 2\n");
  CHECK(pos(x) == "4:3");
  CHECK_THAT(x.message,
             Contains("route 'a' needs one of handler, exec or plugin"));
}

TEST_CASE("a route with handler and exec is reported at the second value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nexec = [\"/bin/cat\"]\n");
  CHECK(pos(x) == "4:8");
  CHECK_THAT(x.message, Contains("route 'a' has both handler and exec"));
}

TEST_CASE("a route with handler and plugin is reported at the second value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nplugin = \"a.so\"\n");
  CHECK(pos(x) == "4:10");
  CHECK_THAT(x.message, Contains("route 'a' has both handler and plugin"));
}

TEST_CASE("a route with all three handler forms is reported twice") {
  auto xs = problems_in(R"([[route]]
name = "a"
handler = "echo"
exec = ["/bin/cat"]
plugin = "a.so"
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "4:8");
  CHECK(pos(xs[1]) == "5:10");
}

// The reader reports the later of handler/exec/plugin in its own fixed
// order, not the one that comes second in the file.
TEST_CASE("a route with exec before handler is reported at the second value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nexec = [\"/bin/cat\"]\nhandler = \"echo\"\n");
  CHECK(pos(x) == "4:11");
}

TEST_CASE("a route without a name is reported at its table") {
  auto x = only_problem("[[route]]\nhandler = \"echo\"\n");
  CHECK(pos(x) == "1:1");
  CHECK_THAT(x.message, Contains("needs a name"));
}

TEST_CASE("a nameless inline route is reported at its opening brace") {
  auto x = only_problem("route = [ { handler = \"echo\" } ]\n");
  CHECK(pos(x) == "1:11");
  CHECK_THAT(x.message, Contains("needs a name"));
}

TEST_CASE("env on a built-in route is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nhandler = \"echo\"\nenv = { A = \"b\" }\n");
  CHECK(pos(x) == "4:7");
  CHECK_THAT(x.message, Contains("env is only for exec routes"));
}

TEST_CASE("env on a plugin route is reported at the value") {
  auto x = only_problem(
    "[[route]]\nname = \"a\"\nplugin = \"a.so\"\nenv = { A = \"b\" }\n");
  CHECK(pos(x) == "4:7");
  CHECK_THAT(x.message, Contains("env is only for exec routes"));
}

// -- listen -----------------------------------------------------------------

TEST_CASE("a listen address without a port is reported at the value") {
  auto x = only_problem("[node]\nlisten = \"127.0.0.1\"\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message, Contains("node.listen '127.0.0.1' is not HOST:PORT"));
}

TEST_CASE("a listen port above 65535 is reported at the value") {
  auto x = only_problem("[node]\nlisten = \"127.0.0.1:65536\"\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message,
             Contains("node.listen '127.0.0.1:65536' is not HOST:PORT"));
}

TEST_CASE("a non-numeric listen port is reported at the value") {
  auto x = only_problem("[node]\nlisten = \"localhost:http\"\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message,
             Contains("node.listen 'localhost:http' is not HOST:PORT"));
}

TEST_CASE("an IPv6 listen address without brackets is reported") {
  auto x = only_problem("[node]\nlisten = \"::1:7700\"\n");
  CHECK(pos(x) == "2:10");
  CHECK_THAT(x.message, Contains("node.listen '::1:7700' is not HOST:PORT"));
}

// -- several problems -------------------------------------------------------

TEST_CASE("every problem of a document is reported in document order") {
  auto xs = problems_in(R"([node]
listen = "nowhere"
[limits]
timeout = "soon"
max_payload = "big"
[[route]]
name = "a"
[[route]]
name = "b"
handler = "echo"
workers = 0
[[route]]
name = "c"
plugin = "c.so"
[[route]]
name = "c"
plugin = "c.so"
)");
  REQUIRE(xs.size() == 6);
  CHECK(pos(xs[0]) == "2:10");
  CHECK_THAT(xs[0].message, Contains("node.listen"));
  CHECK(pos(xs[1]) == "4:11");
  CHECK_THAT(xs[1].message, Contains("limits.timeout"));
  CHECK(pos(xs[2]) == "5:15");
  CHECK_THAT(xs[2].message, Contains("limits.max_payload"));
  CHECK(pos(xs[3]) == "6:1");
  CHECK_THAT(xs[3].message, Contains("route 'a' needs one of"));
  CHECK(pos(xs[4]) == "11:11");
  CHECK_THAT(xs[4].message, Contains("workers"));
  CHECK(pos(xs[5]) == "16:8");
  CHECK_THAT(xs[5].message, Contains("duplicate route name 'c'"));
}

TEST_CASE("every problem of one route is reported") {
  auto xs = problems_in(R"([[route]]
workers = 0
policy = "fastest"
)");
  REQUIRE(xs.size() == 4);
  CHECK_THAT(xs[0].message, Contains("needs a name"));
  CHECK(pos(xs[0]) == "1:1");
  CHECK_THAT(xs[1].message, Contains("needs one of handler"));
  CHECK(pos(xs[1]) == "1:1");
  CHECK(pos(xs[2]) == "2:11");
  CHECK(pos(xs[3]) == "3:10");
}

// The reader reports unknown keys of a table before its values, and
// unknown keys in key order; the issue asks for document order.
TEST_CASE("problems within one table are reported in document order") {
  auto xs = problems_in(R"([node]
listen = "nowhere"
zname = "a"
aname = "b"
)");
  REQUIRE(xs.size() == 3);
  CHECK(pos(xs[0]) == "2:10");
  CHECK(pos(xs[1]) == "3:1");
  CHECK(pos(xs[2]) == "4:1");
}

// The reader walks [node], [limits] and the routes in a fixed order, so a
// route written before [node] is reported after it.
TEST_CASE("a route written before [node] is reported before it") {
  auto xs = problems_in(R"([[route]]
name = "a"
[node]
listen = "nowhere"
)");
  REQUIRE(xs.size() == 2);
  CHECK(pos(xs[0]) == "1:1");
  CHECK(pos(xs[1]) == "4:10");
}

// -- rendering --------------------------------------------------------------

TEST_CASE("a problem renders as FILE:LINE:COL: message") {
  CHECK(to_string(problem{{"a.toml", 3, 14}, "boom"}) == "a.toml:3:14: boom");
}

TEST_CASE("a rendered problem names the source given to parse_config") {
  auto result = parse_config("[node]\nnmae = \"x\"\n", "conf/edge.toml");
  CHECK_FALSE(result.config.has_value());
  REQUIRE(result.problems.size() == 1);
  CHECK(to_string(result.problems[0])
        == "conf/edge.toml:2:1: unknown key 'nmae' in [node] (known: name, "
           "listen, insecure, drain, scheduler)");
}

TEST_CASE("a rendered syntax error names the source given to parse_config") {
  auto result = parse_config("[node\n", "edge.toml");
  REQUIRE(result.problems.size() == 1);
  CHECK_THAT(to_string(result.problems[0]), Catch::StartsWith("edge.toml:1:"));
  CHECK(result.problems[0].where.file == "edge.toml");
}
