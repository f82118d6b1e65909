#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("switchboard errors carry their category, code and message") {
  auto err = make_error(error_code::overloaded, "route 'x' is full");
  CHECK(err.category() == error_category);
  CHECK(code_of(err) == error_code::overloaded);
  CHECK(message_of(err) == "route 'x' is full");
  CHECK(describe(err) == "overloaded: route 'x' is full");
  caf::error converted = error_code::node_down;
  CHECK(converted == error_code::node_down);
  CHECK(code_of(converted) == error_code::node_down);
  CHECK(!code_of(caf::make_error(caf::sec::request_timeout)));
}

TEST_CASE("the registered category renders switchboard errors by name") {
  fixture f;
  auto err = make_error(error_code::worker_down, "route 'w' lost a worker");
  auto text = f.sys->render(err);
  CHECK(text.find("worker_down") != std::string::npos);
  CHECK(text.find("route 'w' lost a worker") != std::string::npos);
}

TEST_CASE("a handler that throws answers handler_failed with what() and the pool keeps serving") {
  fixture f;
  REQUIRE(!f.add("fragile", [](int32_t x) -> int32_t {
    if (x < 0)
      throw std::runtime_error("negative input");
    return x;
  }));
  auto bad = f.call("fragile", caf::make_message(int32_t{-1}));
  f.run();
  REQUIRE(bad->replies == 1);
  REQUIRE(bad->code() == error_code::handler_failed);
  CHECK(message_of(*bad->error).find("negative input") != std::string::npos);
  auto good = f.call("fragile", caf::make_message(int32_t{3}));
  f.run();
  REQUIRE(good->ok());
  CHECK(good->as<int32_t>() == 3);
  auto routes = f.list();
  CHECK(routes[0].restarts == 0);
  CHECK(routes[0].failed == 1);
  CHECK(routes[0].completed == 1);
}

TEST_CASE("an asynchronous handler that throws after deferring answers handler_failed") {
  fixture f;
  REQUIRE(!f.add("throws", [](responder<int32_t>, int32_t) {
    throw std::logic_error("broken");
  }));
  auto res = f.call("throws", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::handler_failed);
  CHECK(f.list()[0].in_flight == 0);
}
