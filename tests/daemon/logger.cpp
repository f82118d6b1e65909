// The daemon log's line format and its refusal limit, without a process.

#include <catch2/catch.hpp>

#include <chrono>

#include "json_line.hpp"
#include "switchboard/daemon/logger.hpp"
#include "switchboard/daemon/refusal_limiter.hpp"

using namespace switchboard;
using namespace switchboard::daemon;
using namespace std::chrono_literals;

namespace {

/// 2026-12-01T20:41:07.123Z
std::chrono::system_clock::time_point example_time() {
  return std::chrono::system_clock::time_point{1796157667123ms};
}

} // namespace

TEST_CASE("a text log line is time, padded level, message and key=value "
          "fields") {
  auto line = format_line(config::log_format::text, example_time(),
                          config::log_level::info, "route added",
                          {{"route", "echo"}, {"workers", 4}});
  CHECK(line
        == "2026-12-01T20:41:07.123Z info  route added route=echo workers=4");
  auto warn = format_line(config::log_format::text, example_time(),
                          config::log_level::error, "x", {{"ok", false}});
  CHECK(warn == "2026-12-01T20:41:07.123Z error x ok=false");
}

TEST_CASE("a text log line quotes values with spaces, quotes or = and keeps "
          "one line") {
  auto line = format_line(
    config::log_format::text, example_time(), config::log_level::warn,
    "two\nlines", {{"why", "no \"way\""}, {"eq", "a=b"}, {"empty", ""}});
  CHECK(line
        == "2026-12-01T20:41:07.123Z warn  two\\nlines why=\"no \\\"way\\\"\" "
           "eq=\"a=b\" empty=\"\"");
}

TEST_CASE("a JSON log line is one object with ts, level, msg and typed "
          "fields, escaped") {
  auto line = format_line(config::log_format::json, example_time(),
                          config::log_level::info, "say \"hi\"\n",
                          {{"route", "a\\b"}, {"workers", 4}, {"tls", true}});
  CHECK(line
        == "{\"ts\":\"2026-12-01T20:41:07.123Z\",\"level\":\"info\","
           "\"msg\":\"say \\\"hi\\\"\\n\",\"route\":\"a\\\\b\",\"workers\":4,"
           "\"tls\":true}");
  auto obj = test::parse_json_object(line);
  REQUIRE(obj);
  CHECK((*obj)["msg"] == "say \"hi\"\n");
  CHECK((*obj)["route"] == "a\\b");
}

TEST_CASE("the refusal limiter admits a burst per window and counts the "
          "rest until the window ends") {
  refusal_limiter lim{3, 10s};
  refusal_limiter::clock::time_point t0{};
  int admitted = 0;
  for (int i = 0; i < 100; ++i)
    admitted += lim.admit(t0 + std::chrono::milliseconds{i}) ? 1 : 0;
  CHECK(admitted == 3);
  CHECK(lim.take_suppressed(t0 + 9s) == 0); // the window is still open
  CHECK(lim.take_suppressed(t0 + 10s) == 97);
  CHECK(lim.take_suppressed(t0 + 11s) == 0); // reported once
  // A new window opens at the next refusal.
  CHECK(lim.admit(t0 + 12s));
  CHECK(lim.admit(t0 + 12s));
  CHECK(lim.admit(t0 + 12s));
  CHECK_FALSE(lim.admit(t0 + 12s));
  CHECK(lim.take_suppressed(t0 + 13s, true) == 1);
}
