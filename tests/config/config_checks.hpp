#pragma once

// Shared checks of the config tests: parse a document that must be valid,
// or one that must have exactly one problem, and render positions.

#include <string>
#include <string_view>
#include <vector>

#include <catch2/catch.hpp>

#include "switchboard/config/node_config.hpp"

namespace switchboard::test {

/// Parses `text` as `source` and requires that it has no problems.
inline config::node_config parse_ok(std::string_view text,
                                    const std::string& source = "test.toml") {
  auto result = config::parse_config(text, source);
  for (auto& x : result.problems)
    UNSCOPED_INFO(config::to_string(x));
  CHECK(result.problems.empty());
  REQUIRE(result.config);
  return std::move(*result.config);
}

/// Parses `text` as `test.toml`; a document with problems has no config.
inline std::vector<config::problem> problems_in(std::string_view text) {
  auto result = config::parse_config(text, "test.toml");
  CHECK_FALSE(result.config.has_value());
  return result.problems;
}

/// Parses `text` and requires exactly one problem.
inline config::problem only_problem(std::string_view text) {
  auto xs = problems_in(text);
  for (auto& x : xs)
    UNSCOPED_INFO(config::to_string(x));
  REQUIRE(xs.size() == 1);
  return xs.front();
}

/// `LINE:COL` of a problem in `test.toml`.
inline std::string pos(const config::problem& x) {
  CHECK(x.where.file == "test.toml");
  return std::to_string(x.where.line) + ":" + std::to_string(x.where.column);
}

/// `FILE:LINE:COL` of a position.
inline std::string pos(const config::source_position& x) {
  return x.file + ":" + std::to_string(x.line) + ":"
         + std::to_string(x.column);
}

} // namespace switchboard::test
