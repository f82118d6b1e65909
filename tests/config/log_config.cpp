// `[log]`: the daemon log's level and format.

#include <catch2/catch.hpp>

#include "config/config_checks.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("[log] defaults to level info in text format") {
  auto cfg = parse_ok("[node]\nname = \"n\"\n");
  CHECK(cfg.log.level == config::log_level::info);
  CHECK(cfg.log.format == config::log_format::text);
}

TEST_CASE("[log] takes every documented level and both formats") {
  using config::log_level;
  std::vector<std::pair<std::string, log_level>> levels{
    {"trace", log_level::trace}, {"debug", log_level::debug},
    {"info", log_level::info},   {"warn", log_level::warn},
    {"error", log_level::error}, {"off", log_level::off}};
  for (auto& [name, level] : levels) {
    INFO(name);
    auto cfg = parse_ok("[log]\nlevel = \"" + name + "\"\n");
    CHECK(cfg.log.level == level);
    CHECK(config::to_string(level) == name);
  }
  CHECK(parse_ok("[log]\nformat = \"json\"\n").log.format
        == config::log_format::json);
  CHECK(parse_ok("[log]\nformat = \"text\"\nlevel = \"warn\"\n").log.format
        == config::log_format::text);
}

TEST_CASE("[log] refuses an unknown level or format at the value") {
  auto level = only_problem("[log]\nlevel = \"verbose\"\n");
  CHECK(pos(level) == "2:9");
  CHECK(level.message.find("log.level 'verbose'") != std::string::npos);
  // Levels are lower case, as documented: "INFO" is a typo, not a level.
  CHECK(pos(only_problem("[log]\nlevel = \"INFO\"\n")) == "2:9");
  auto format = only_problem("[log]\nformat = \"xml\"\n");
  CHECK(pos(format) == "2:10");
  CHECK(format.message.find("log.format 'xml'") != std::string::npos);
  auto type = only_problem("[log]\nlevel = 3\n");
  CHECK(pos(type) == "2:9");
}

TEST_CASE("[log] refuses an unknown key at the key") {
  auto unknown = only_problem("[log]\nlevel = \"info\"\nfile = \"x.log\"\n");
  CHECK(pos(unknown) == "3:1");
  CHECK(unknown.message.find("file") != std::string::npos);
}
