// Fuzzes the config reader's value parsers: durations (`parse_duration`,
// `duration_problem`), sizes (`parse_size`) and addresses
// (`parse_host_port`, `to_string(host_port)`).
//
// Invariants: each parser agrees with a reference written here with 128-bit
// arithmetic (so it cannot wrap where the real one must check); no duration
// exceeds `bounds::max_duration`; `duration_problem` is empty exactly when
// the text parses and otherwise quotes it; a parsed value written back in
// any unit that holds it exactly parses to the same value; an address
// rendered by `to_string` parses back to the same host and port.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "fuzz_check.hpp"
#include "switchboard/config/node_config.hpp"

using namespace switchboard;

namespace {

__extension__ typedef unsigned __int128 u128;

/// `<digits><unit>` with the unit's scale, or nothing; `n` saturates far
/// above every bound (no unit scale times it can wrap 128 bits).
template <size_t N>
std::optional<u128>
reference(std::string_view x,
          const std::pair<std::string_view, uint64_t> (&units)[N], u128 max) {
  size_t i = 0;
  u128 n = 0;
  constexpr u128 cap = u128{1} << 80;
  while (i < x.size() && x[i] >= '0' && x[i] <= '9') {
    n = n * 10 + static_cast<unsigned>(x[i] - '0');
    if (n > cap)
      n = cap;
    ++i;
  }
  if (i == 0)
    return std::nullopt;
  for (auto& [name, scale] : units)
    if (x.substr(i) == name) {
      auto v = n * scale;
      if (v > max)
        return std::nullopt;
      return v;
    }
  return std::nullopt;
}

constexpr uint64_t ns_per_s = 1000ull * 1000 * 1000;

constexpr std::pair<std::string_view, uint64_t> duration_units[]
  = {{"ns", 1},       {"us", 1000},         {"ms", 1000ull * 1000},
     {"s", ns_per_s}, {"m", 60 * ns_per_s}, {"h", 3600 * ns_per_s}};

constexpr std::pair<std::string_view, uint64_t> size_units[]
  = {{"B", 1}, {"KiB", 1ull << 10}, {"MiB", 1ull << 20}, {"GiB", 1ull << 30}};

void check_duration(std::string_view x) {
  auto got = config::parse_duration(x);
  auto max = static_cast<u128>(config::bounds::max_duration.count());
  auto want = reference(x, duration_units, max);
  FUZZ_CHECK(got.has_value() == want.has_value());
  auto problem = config::duration_problem(x);
  FUZZ_CHECK(problem.empty() == got.has_value());
  if (!got) {
    FUZZ_CHECK(problem.find("'" + std::string{x} + "'") == 0);
    return;
  }
  FUZZ_CHECK(got->count() >= 0);
  FUZZ_CHECK(static_cast<u128>(got->count()) == *want);
  FUZZ_CHECK(*got <= config::bounds::max_duration);
  // Written back in every unit that holds it exactly, it reads the same.
  auto n = static_cast<uint64_t>(got->count());
  for (auto& [name, scale] : duration_units)
    if (n % scale == 0) {
      auto text = std::to_string(n / scale) + std::string{name};
      auto again = config::parse_duration(text);
      FUZZ_CHECK(again && *again == *got);
    }
}

void check_size(std::string_view x) {
  auto got = config::parse_size(x);
  auto want = reference(x, size_units, UINT64_MAX);
  FUZZ_CHECK(got.has_value() == want.has_value());
  if (!got)
    return;
  FUZZ_CHECK(static_cast<u128>(*got) == *want);
  for (auto& [name, scale] : size_units)
    if (*got % scale == 0) {
      auto text = std::to_string(*got / scale) + std::string{name};
      auto again = config::parse_size(text);
      FUZZ_CHECK(again && *again == *got);
    }
}

void check_host_port(std::string_view x) {
  auto got = config::parse_host_port(x);
  if (!got)
    return;
  FUZZ_CHECK(!got->host.empty());
  // The port is the digits after the last colon, as written.
  auto colon = x.rfind(':');
  FUZZ_CHECK(colon != std::string_view::npos);
  FUZZ_CHECK(std::to_string(got->port)
             == std::to_string(std::stoul(std::string{x.substr(colon + 1)})));
  auto text = config::to_string(*got);
  auto again = config::parse_host_port(text);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(again->host == got->host);
  FUZZ_CHECK(again->port == got->port);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view x{reinterpret_cast<const char*>(data), size};
  check_duration(x);
  check_size(x);
  check_host_port(x);
  return 0;
}
