#pragma once

// What every fuzz target uses to state an invariant: a failed check prints
// what broke and aborts, which libFuzzer reports as a crash (and saves the
// input) and the replay binary turns into a failed test. Unlike assert(),
// it is never compiled out.

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__,          \
                   __LINE__, #cond);                                           \
      std::abort();                                                            \
    }                                                                          \
  } while (false)

namespace switchboard::fuzz {

/// Splits `x` at every `sep` (n separators give n + 1 parts).
inline std::vector<std::string_view> split(std::string_view x, char sep) {
  std::vector<std::string_view> result;
  for (;;) {
    auto i = x.find(sep);
    result.push_back(x.substr(0, i));
    if (i == std::string_view::npos)
      return result;
    x.remove_prefix(i + 1);
  }
}

} // namespace switchboard::fuzz
