#include "switchboard/core/glob.hpp"

namespace switchboard::core {

bool glob_match(std::string_view pattern, std::string_view text) noexcept {
  // Greedy match that remembers the last `*` and where it started in the
  // text; on a mismatch, that star swallows one more byte.
  size_t p = 0;
  size_t t = 0;
  size_t star = std::string_view::npos;
  size_t resume = 0;
  while (t < text.size()) {
    // The star first: a `*` in the pattern is never a literal, even where
    // the text holds a `*` too.
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size()
               && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*')
    ++p;
  return p == pattern.size();
}

} // namespace switchboard::core
