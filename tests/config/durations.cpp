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

TEST_CASE("the longest duration is 365 days, in any unit") {
  CHECK(bounds::max_duration == std::chrono::nanoseconds{8760h});
  CHECK(parse_duration("8760h") == std::chrono::nanoseconds{8760h});
  CHECK(parse_duration("525600m") == std::chrono::nanoseconds{8760h});
  CHECK(parse_duration("31536000s") == std::chrono::nanoseconds{8760h});
  CHECK(parse_duration("31536000000000000ns")
        == std::chrono::nanoseconds{8760h});
}

TEST_CASE("durations beyond 365 days are refused in every unit") {
  CHECK(!parse_duration("8761h"));
  CHECK(!parse_duration("525601m"));
  CHECK(!parse_duration("31536000001ms"));
  CHECK(!parse_duration("31536000000000001ns"));
}

// Each of these overflows int64 nanoseconds in the digits or in the
// multiplication by its unit; none may wrap into a small duration.
TEST_CASE("durations beyond the nanosecond range are refused") {
  CHECK(!parse_duration("9223372036854775807ns"));
  CHECK(!parse_duration("9223372036854775808ns"));
  CHECK(!parse_duration("9223372036854775807us"));
  CHECK(!parse_duration("9223372036854775807ms"));
  CHECK(!parse_duration("9223372036854775807s"));
  CHECK(!parse_duration("9223372036854775807m"));
  CHECK(!parse_duration("9223372036854775807h"));
  CHECK(!parse_duration("9223372037s"));
  CHECK(!parse_duration("153722868m"));
  CHECK(!parse_duration("2562048h"));
  CHECK(!parse_duration("99999999999999999999s"));
  // 2^64 / 3600e9 rounded up: the product wraps to a small number.
  CHECK(!parse_duration("5124096h"));
}

TEST_CASE("duration_problem says whether a duration is malformed or too long") {
  CHECK(duration_problem("5s").empty());
  CHECK(duration_problem("9223372036854775807ns")
        == "'9223372036854775807ns' is longer than 8760h, the longest "
           "duration");
  CHECK(duration_problem("99999999999999999999s")
        == "'99999999999999999999s' is longer than 8760h, the longest "
           "duration");
  CHECK(duration_problem("soon")
        == "'soon' is not a duration (e.g. \"250ms\", \"5s\", \"1m\")");
  CHECK(duration_problem("5sec").rfind("'5sec' is not a duration", 0) == 0);
}

// 18446744073709551617 is 2^64 + 1: the digit loop wraps it to 1.
TEST_CASE("a number just past 2^64 is refused, not wrapped") {
  CHECK(!parse_duration("18446744073709551616ns"));
  CHECK(!parse_duration("18446744073709551617s"));
}
