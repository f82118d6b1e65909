#include <catch2/catch.hpp>

#include <string>

#include "switchboard/core/route_name.hpp"

using switchboard::core::max_route_name;
using switchboard::core::route_name_problem;

TEST_CASE("route names of printable text are accepted") {
  for (auto name : {"echo", "invoice.create", "a b", "billing/v2-x_y",
                    "\xc3\xa9t\xc3\xa9", "\xe6\x97\xa5\xe6\x9c\xac"})
    CHECK(route_name_problem(name).empty());
  CHECK(route_name_problem(std::string(max_route_name, 'x')).empty());
}

TEST_CASE("an empty route name is refused") {
  CHECK(route_name_problem("").find("empty") != std::string::npos);
}

TEST_CASE("a route name longer than 255 bytes is refused with its length") {
  auto why = route_name_problem(std::string(max_route_name + 1, 'x'));
  CHECK(why.find("256") != std::string::npos);
}

TEST_CASE(
  "route names with NUL, newline or other control characters are refused") {
  using namespace std::string_literals;
  for (auto name : {"a\0b"s, "a\nb"s, "a\rb"s, "\x1b[31mred"s, "tab\t"s,
                    "del\x7f"s, "c1\xc2\x85"s}) {
    INFO(name);
    CHECK(route_name_problem(name).find("control") != std::string::npos);
  }
}

TEST_CASE(
  "route names with bidi overrides or zero-width characters are refused") {
  // U+202E RIGHT-TO-LEFT OVERRIDE, U+2066 LEFT-TO-RIGHT ISOLATE,
  // U+200B ZERO WIDTH SPACE, U+FEFF BOM.
  for (auto name : {"abc\xe2\x80\xae", "x\xe2\x81\xa6y", "a\xe2\x80\x8b",
                    "\xef\xbb\xbfname"}) {
    INFO(name);
    CHECK(route_name_problem(name).find("U+") != std::string::npos);
  }
}

TEST_CASE("route names that are not valid UTF-8 are refused") {
  for (auto name : {"\xff", "a\xc3", "\xc0\xaf", "\xed\xa0\x80"}) {
    INFO(name);
    CHECK(route_name_problem(name).find("UTF-8") != std::string::npos);
  }
}
