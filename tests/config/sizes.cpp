#include "switchboard/config/node_config.hpp"

#include <cstdint>

#include <catch2/catch.hpp>

using namespace switchboard::config;

TEST_CASE("sizes take an integer and a binary unit") {
  CHECK(parse_size("512B") == uint64_t{512});
  CHECK(parse_size("64KiB") == uint64_t{64} * 1024);
  CHECK(parse_size("1MiB") == uint64_t{1024} * 1024);
  CHECK(parse_size("2GiB") == uint64_t{2} * 1024 * 1024 * 1024);
  CHECK(parse_size("0B") == uint64_t{0});
}

TEST_CASE("sizes without a known unit or number are refused") {
  for (auto bad : {"", "512", "B", "KiB", "1KB", "1MB", "1kib", "1mib",
                   "1 MiB", "1.5MiB", "-1B", "+1B", "1TiB", "1MiB "})
    CHECK(!parse_size(bad));
}

TEST_CASE("the largest size is 2^64 - 1 bytes") {
  CHECK(parse_size("18446744073709551615B") == UINT64_MAX);
  CHECK(parse_size("17179869183GiB")
        == UINT64_MAX - (uint64_t{1024} * 1024 * 1024 - 1));
}

TEST_CASE("sizes beyond 64 bits are refused") {
  CHECK(!parse_size("17179869184GiB"));
  CHECK(!parse_size("18014398509481984KiB"));
  CHECK(!parse_size("99999999999999999999B"));
}

// 18446744073709551617 is 2^64 + 1: the digit loop wraps it to 1.
TEST_CASE("a size just past 2^64 is refused, not wrapped") {
  CHECK(!parse_size("18446744073709551616B"));
  CHECK(!parse_size("18446744073709551617KiB"));
}
