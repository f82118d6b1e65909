// Durations that would overflow a clock are refused at every entry of the
// real binary: the configuration, `call --timeout` and the sleep built-in.

#include <catch2/catch.hpp>

#include "daemon_process.hpp"

using namespace switchboard::test;
using Catch::Matchers::Contains;

TEST_CASE("call refuses a --timeout that would overflow the clock and exits 2") {
  for (auto text : {"9223372036854775807ns", "9223372036854775807s", "8761h"}) {
    auto res = run({bin, "call", "--connect", "127.0.0.1:1", "--timeout", text,
                    "echo", "x"});
    INFO(text << " -> " << res.err);
    CHECK(res.exit_code == 2);
    CHECK_THAT(res.err, Contains("--timeout"));
  }
}

TEST_CASE("check-config refuses a route timeout past the longest duration") {
  scratch s;
  auto path = s.write("node.toml", "[[route]]\nname = \"a\"\nhandler = \"echo\"\n"
                                   "timeout = \"9223372036854775807ns\"\n");
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK_THAT(res.err, Contains(path + ":4:11: route 'a' timeout "
                                      "'9223372036854775807ns' is longer than "
                                      "8760h, the longest duration"));
}

TEST_CASE("a served sleep route answers bad_request to a duration that would "
          "overflow") {
  scratch s;
  auto path = s.write("node.toml",
                      "[node]\nlisten = \"127.0.0.1:0\"\n"
                      "[[route]]\nname = \"sleep\"\nhandler = \"sleep\"\n");
  daemon_process d{path};
  auto res = d.call({"sleep", "9223372036854775807ns"});
  CHECK(res.exit_code == 1);
  CHECK_THAT(res.err, Contains("bad_request"));
  CHECK_THAT(res.err, Contains("longer than 8760h"));
  CHECK(d.stop().exit_code == 0);
}
