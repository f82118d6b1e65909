#pragma once

#include <string_view>

namespace switchboard::core {

/// Says whether `text` matches the glob `pattern` as a whole: `*` matches any
/// run of bytes (also none), `?` exactly one byte, every other byte itself.
/// There are no character classes and no escapes. Runs in O(|pattern| *
/// |text|) at worst, without recursion, so a hostile pattern or text cannot
/// exhaust the stack.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

} // namespace switchboard::core
