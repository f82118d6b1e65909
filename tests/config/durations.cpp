#include "switchboard/config/node_config.hpp"

#include <cstdint>

#include <catch2/catch.hpp>

using namespace switchboard::config;
using namespace std::chrono_literals;

TEST_CASE("durations take an integer and a unit") {
  CHECK(parse_duration("250ms") == std::chrono::nanoseconds{250ms});
  CHECK(parse_duration("5s") == std::chrono::nanoseconds{5s});
  CHECK(parse_duration("1m") == std::chrono::nanoseconds{1min});
  CHECK(parse_duration("2h") == std::chrono::nanoseconds{2h});
  CHECK(parse_duration("100us") == std::chrono::nanoseconds{100us});
  CHECK(parse_duration("10ns") == std::chrono::nanoseconds{10});
}

TEST_CASE("durations without a known unit or number are refused") {
  for (auto bad : {"", "5", "s", "5 s", "1.5s", "-1s", "5sec", "5S", "ms"})
    CHECK(!parse_duration(bad));
}

TEST_CASE("zero is a duration the parser accepts") {
  // The reader refuses it for timeouts; the parser only reads the text.
  CHECK(parse_duration("0s") == std::chrono::nanoseconds{0});
}

TEST_CASE("the longest duration is the largest nanosecond count") {
  CHECK(parse_duration("9223372036854775807ns")
        == std::chrono::nanoseconds{INT64_MAX});
  CHECK(parse_duration("9223372036s")
        == std::chrono::nanoseconds{9223372036000000000});
  CHECK(parse_duration("153722867m")
        == std::chrono::nanoseconds{std::chrono::minutes{153722867}});
  CHECK(parse_duration("2562047h")
        == std::chrono::nanoseconds{std::chrono::hours{2562047}});
}

TEST_CASE("durations beyond the nanosecond range are refused") {
  CHECK(!parse_duration("9223372036854775808ns"));
  CHECK(!parse_duration("9223372037s"));
  CHECK(!parse_duration("153722868m"));
  CHECK(!parse_duration("2562048h"));
  CHECK(!parse_duration("99999999999999999999s"));
}

// 18446744073709551617 is 2^64 + 1: the digit loop wraps it to 1.
TEST_CASE("a number just past 2^64 is refused, not wrapped") {
  CHECK(!parse_duration("18446744073709551616ns"));
  CHECK(!parse_duration("18446744073709551617s"));
}
