#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace switchboard::core {

/// The longest route name a node accepts, in bytes.
inline constexpr size_t max_route_name = 255;

/// Says what is wrong with `name` as a route name, or nothing (empty) if it
/// is usable.
///
/// A route name is 1 to `max_route_name` bytes of valid UTF-8 holding only
/// printable characters: no ASCII or C1 control characters (NUL, newline,
/// escape...), no Unicode format characters that reorder or hide text
/// (bidirectional overrides and isolates, zero-width characters, BOM), so
/// that a name printed in a table or a log line is what it looks like.
/// Spaces are allowed (they are printable), as are dots, dashes, slashes.
/// The config reader, the registry (every route added through the library)
/// and the front door apply this one rule.
std::string route_name_problem(std::string_view name);

} // namespace switchboard::core
