#include <catch2/catch.hpp>

#include "node.hpp"
#include "switchboard/daemon/builtins.hpp"

using namespace switchboard;
using namespace switchboard::daemon;
using switchboard::test::node;
using namespace std::chrono_literals;

namespace {

void add_builtin(node& n, const std::string& name,
                 std::chrono::nanoseconds timeout = 5s) {
  auto h = make_builtin(name);
  REQUIRE(h);
  core::route_options opts;
  opts.timeout = timeout;
  REQUIRE(!n.sb->add(name, *h, opts));
}

} // namespace

TEST_CASE("the built-ins are echo, fail, size and sleep") {
  CHECK(builtin_names()
        == std::vector<std::string>{"echo", "fail", "size", "sleep"});
  CHECK(!make_builtin("nope"));
}

TEST_CASE("echo replies with the payload, bytes intact") {
  node n;
  add_builtin(n, "echo");
  std::string payload{"a\0b\xff", 4};
  auto out = n.call("echo", payload);
  REQUIRE(out);
  CHECK(*out == payload);
}

TEST_CASE("size replies with the payload length") {
  node n;
  add_builtin(n, "size");
  CHECK(n.call("size", std::string(1234, 'x')).value() == "1234");
}

TEST_CASE("fail answers handler_failed with the payload") {
  node n;
  add_builtin(n, "fail");
  auto out = n.call("fail", "on purpose");
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::handler_failed);
  CHECK(message_of(out.error()).find("on purpose") != std::string::npos);
}

TEST_CASE("sleep replies after the duration, or times out past the deadline") {
  node n;
  add_builtin(n, "sleep", 300ms);
  auto out = n.call("sleep", "20ms");
  REQUIRE(out);
  CHECK(*out == "slept 20ms");
  auto late = n.call("sleep", "2s");
  REQUIRE(!late);
  CHECK(code_of(late.error()) == error_code::timeout);
  auto bad = n.call("sleep", "soon");
  REQUIRE(!bad);
  CHECK(code_of(bad.error()) == error_code::bad_request);
}

TEST_CASE("sleep refuses a duration that would overflow its timer") {
  node n;
  add_builtin(n, "sleep", 300ms);
  for (auto text : {"9223372036854775807ns", "8761h"}) {
    auto out = n.call("sleep", text);
    REQUIRE(!out);
    CHECK(code_of(out.error()) == error_code::bad_request);
    CHECK(message_of(out.error()).find("is longer than 8760h")
          != std::string::npos);
  }
  // The longest duration is accepted; the route's deadline ends the call.
  auto longest = n.call("sleep", "8760h");
  REQUIRE(!longest);
  CHECK(code_of(longest.error()) == error_code::timeout);
}
