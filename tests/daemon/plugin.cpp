#include <catch2/catch.hpp>

#include "node.hpp"
#include "switchboard/daemon/plugin_loader.hpp"

using namespace switchboard;
using namespace switchboard::daemon;
using switchboard::test::node;

TEST_CASE("the example plugin adds a route that answers") {
  auto routes = load_plugin(HELLO_PLUGIN_PATH, "hello");
  REQUIRE(routes);
  REQUIRE(routes->size() == 1);
  CHECK((*routes)[0].first == "hello");
  node n;
  REQUIRE(!n.sb->add("hello", (*routes)[0].second));
  auto out = n.call("hello", "plugin");
  REQUIRE(out);
  CHECK(*out == "hello, plugin");
}

TEST_CASE("a plugin that does not load is refused with dlopen's reason") {
  auto routes = load_plugin("/nonexistent/libnothing.so", "x");
  REQUIRE(!routes);
  CHECK(code_of(routes.error()) == error_code::bad_request);
  auto text = message_of(routes.error());
  CHECK(text.find("/nonexistent/libnothing.so") != std::string::npos);
  CHECK(text.find("cannot load") != std::string::npos);
}

TEST_CASE("a library without the entry point is refused") {
  // libm is a shared library without switchboard_plugin_init.
  auto routes = load_plugin("libm.so.6", "x");
  REQUIRE(!routes);
  CHECK(message_of(routes.error()).find("switchboard_plugin_init")
        != std::string::npos);
}
