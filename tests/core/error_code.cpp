#include "switchboard/core/error_code.hpp"

#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace switchboard::core;

namespace {

std::vector<error_code> all_codes() {
  std::vector<error_code> result;
  for (auto i = static_cast<int>(first_error_code);
       i <= static_cast<int>(last_error_code); ++i)
    result.push_back(static_cast<error_code>(i));
  return result;
}

} // namespace

TEST_CASE("error codes have the names the docs use") {
  const std::vector<std::pair<error_code, std::string_view>> expected = {
    {error_code::no_such_route, "no_such_route"},
    {error_code::no_worker, "no_worker"},
    {error_code::overloaded, "overloaded"},
    {error_code::timeout, "timeout"},
    {error_code::handler_failed, "handler_failed"},
    {error_code::worker_down, "worker_down"},
    {error_code::bad_request, "bad_request"},
    {error_code::node_down, "node_down"},
    {error_code::shutting_down, "shutting_down"},
    {error_code::forbidden, "forbidden"},
  };
  for (auto& [code, name] : expected)
    CHECK(to_string(code) == name);
  // The list above is complete: it covers the whole range.
  CHECK(all_codes().size() == expected.size());
}

TEST_CASE("error codes keep their stable numeric values") {
  CHECK(static_cast<int>(error_code::no_such_route) == 1);
  CHECK(static_cast<int>(error_code::no_worker) == 2);
  CHECK(static_cast<int>(error_code::overloaded) == 3);
  CHECK(static_cast<int>(error_code::timeout) == 4);
  CHECK(static_cast<int>(error_code::handler_failed) == 5);
  CHECK(static_cast<int>(error_code::worker_down) == 6);
  CHECK(static_cast<int>(error_code::bad_request) == 7);
  CHECK(static_cast<int>(error_code::node_down) == 8);
  CHECK(static_cast<int>(error_code::shutting_down) == 9);
  CHECK(static_cast<int>(error_code::forbidden) == 10);
  CHECK(first_error_code == error_code::no_such_route);
  CHECK(last_error_code == error_code::forbidden);
}

TEST_CASE("parse_error_code reads back every name to_string produces") {
  for (auto code : all_codes()) {
    INFO("code " << static_cast<int>(code));
    auto parsed = parse_error_code(to_string(code));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == code);
  }
}

TEST_CASE("every error code has its own name") {
  std::set<std::string_view> names;
  for (auto code : all_codes()) {
    auto name = to_string(code);
    CHECK(name != "unknown");
    CHECK_FALSE(name.empty());
    names.insert(name);
  }
  CHECK(names.size() == all_codes().size());
}

TEST_CASE("parse_error_code refuses names that are not error codes") {
  for (std::string_view name :
       {"", "unknown", "Timeout", "TIMEOUT", "no-such-route", "no_such_route ",
        " timeout", "time", "timeouts", "none", "success"}) {
    INFO("'" << std::string{name} << "'");
    CHECK_FALSE(parse_error_code(name).has_value());
  }
}

TEST_CASE("to_string names a value outside the enumeration unknown") {
  CHECK(to_string(static_cast<error_code>(0)) == "unknown");
  CHECK(to_string(static_cast<error_code>(200)) == "unknown");
}
