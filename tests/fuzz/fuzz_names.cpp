// Fuzzes names and the globs that match them: `core::route_name_problem`,
// `core::glob_match` and `core::access_policy`.
//
// The input is split at newlines: part 0 is a glob, part 1 a text (a route
// name, and the identity asking), every further part an access rule
// `identity-glob<TAB>call-glob<TAB>call-glob...` (a leading `!` makes it a
// peer rule).
//
// Invariants: route_name_problem accepts exactly what a reference check
// written here (Unicode's table of well-formed UTF-8, the hidden code
// points) accepts; glob_match agrees with a dynamic-programming matcher;
// the access policy's answers agree with the rules evaluated through that
// matcher (no rules: everything allowed; anonymous: nothing once any rule
// exists).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "switchboard/core/access_policy.hpp"
#include "switchboard/core/glob.hpp"
#include "switchboard/core/route_name.hpp"

using namespace switchboard;

namespace {

// -- reference route-name check ---------------------------------------------

/// Decodes one well-formed UTF-8 sequence (Unicode 15, table 3-7) at `i`;
/// returns its length, or 0.
size_t next_code_point(std::string_view s, size_t i, uint32_t& cp) {
  auto at = [&](size_t k) -> int {
    return i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : -1;
  };
  auto in = [](int b, int lo, int hi) { return b >= lo && b <= hi; };
  int b0 = at(0);
  if (in(b0, 0x00, 0x7F)) {
    cp = static_cast<uint32_t>(b0);
    return 1;
  }
  int b1 = at(1);
  int b2 = at(2);
  int b3 = at(3);
  size_t n = 0;
  if (in(b0, 0xC2, 0xDF) && in(b1, 0x80, 0xBF))
    n = 2;
  else if (b0 == 0xE0 && in(b1, 0xA0, 0xBF) && in(b2, 0x80, 0xBF))
    n = 3;
  else if ((in(b0, 0xE1, 0xEC) || in(b0, 0xEE, 0xEF)) && in(b1, 0x80, 0xBF)
           && in(b2, 0x80, 0xBF))
    n = 3;
  else if (b0 == 0xED && in(b1, 0x80, 0x9F) && in(b2, 0x80, 0xBF))
    n = 3;
  else if (b0 == 0xF0 && in(b1, 0x90, 0xBF) && in(b2, 0x80, 0xBF)
           && in(b3, 0x80, 0xBF))
    n = 4;
  else if (in(b0, 0xF1, 0xF3) && in(b1, 0x80, 0xBF) && in(b2, 0x80, 0xBF)
           && in(b3, 0x80, 0xBF))
    n = 4;
  else if (b0 == 0xF4 && in(b1, 0x80, 0x8F) && in(b2, 0x80, 0xBF)
           && in(b3, 0x80, 0xBF))
    n = 4;
  if (n == 0)
    return 0;
  static constexpr uint32_t lead_mask[] = {0, 0, 0x1F, 0x0F, 0x07};
  cp = static_cast<uint32_t>(b0) & lead_mask[n];
  for (size_t k = 1; k < n; ++k)
    cp = (cp << 6) | (static_cast<uint32_t>(at(k)) & 0x3F);
  return n;
}

bool hidden(uint32_t cp) {
  static constexpr std::pair<uint32_t, uint32_t> ranges[]
    = {{0x00, 0x1F},     {0x7F, 0x9F},     {0xAD, 0xAD},
       {0x061C, 0x061C}, {0x200B, 0x200F}, {0x2028, 0x202E},
       {0x2060, 0x206F}, {0xFEFF, 0xFEFF}, {0xFFF9, 0xFFFB}};
  for (auto [lo, hi] : ranges)
    if (cp >= lo && cp <= hi)
      return true;
  return false;
}

bool reference_name_ok(std::string_view name) {
  if (name.empty() || name.size() > core::max_route_name)
    return false;
  for (size_t i = 0; i < name.size();) {
    uint32_t cp = 0;
    auto n = next_code_point(name, i, cp);
    if (n == 0 || hidden(cp))
      return false;
    i += n;
  }
  return true;
}

// -- reference glob ---------------------------------------------------------

/// Longest pattern and text the O(p * t) table is built for.
constexpr size_t max_reference_len = 512;

/// `m[i][j]`: pattern[i..] matches text[j..].
bool reference_glob(std::string_view p, std::string_view t) {
  std::vector<std::vector<char>> m(p.size() + 1,
                                   std::vector<char>(t.size() + 1, 0));
  m[p.size()][t.size()] = 1;
  for (size_t i = p.size(); i-- > 0;)
    for (size_t j = t.size() + 1; j-- > 0;) {
      if (p[i] == '*')
        m[i][j] = m[i + 1][j] || (j < t.size() && m[i][j + 1]);
      else
        m[i][j]
          = j < t.size() && (p[i] == '?' || p[i] == t[j]) && m[i + 1][j + 1];
    }
  return m[0][0] != 0;
}

bool glob(std::string_view p, std::string_view t) {
  auto got = core::glob_match(p, t);
  if (p.size() <= max_reference_len && t.size() <= max_reference_len)
    FUZZ_CHECK(got == reference_glob(p, t));
  return got;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input{reinterpret_cast<const char*>(data), size};
  auto parts = fuzz::split(input, '\n');
  auto pattern = parts[0];
  auto text = parts.size() > 1 ? parts[1] : std::string_view{};
  // Route names: the whole input and the text alone.
  for (auto name : {input, text}) {
    auto problem = core::route_name_problem(name);
    FUZZ_CHECK(problem.empty() == reference_name_ok(name));
  }
  glob(pattern, text);
  // Access rules from the remaining parts.
  std::vector<core::access_rule> rules;
  for (size_t i = 2; i < parts.size(); ++i) {
    auto fields = fuzz::split(parts[i], '\t');
    core::access_rule r;
    auto id = fields[0];
    if (!id.empty() && id.front() == '!') {
      r.peer = true;
      id.remove_prefix(1);
    }
    r.identity = std::string{id};
    for (size_t k = 1; k < fields.size(); ++k)
      r.call.emplace_back(fields[k]);
    rules.push_back(std::move(r));
  }
  core::access_policy policy{rules};
  FUZZ_CHECK(policy.restricted() == !rules.empty());
  // The text asks as an identity for the route named by the pattern, and
  // as an anonymous party.
  std::optional<std::string> who{std::string{text}};
  std::string route{pattern};
  bool may_call = rules.empty();
  bool known = rules.empty();
  bool may_peer = rules.empty();
  for (auto& r : rules) {
    if (!glob(r.identity, *who))
      continue;
    known = true;
    may_peer = may_peer || r.peer;
    for (auto& g : r.call)
      may_call = may_call || glob(g, route);
  }
  FUZZ_CHECK(policy.may_call(who, route) == may_call);
  FUZZ_CHECK(policy.known(who) == known);
  FUZZ_CHECK(policy.may_peer(who) == may_peer);
  std::optional<std::string> nobody;
  FUZZ_CHECK(policy.may_call(nobody, route) == rules.empty());
  FUZZ_CHECK(policy.known(nobody) == rules.empty());
  FUZZ_CHECK(policy.may_peer(nobody) == rules.empty());
  return 0;
}
