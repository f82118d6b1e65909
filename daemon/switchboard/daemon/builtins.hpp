#pragma once

#include <optional>
#include <string>
#include <vector>

#include "switchboard/handler.hpp"

namespace switchboard::daemon {

/// The built-in handlers a route names with `handler = "..."`. Payloads
/// and replies are bytes (`std::string`).
///
/// - `echo`: replies with the payload.
/// - `sleep`: the payload is a duration (`"250ms"`, at most
///   `config::bounds::max_duration`, so the timer never overflows);
///   replies `"slept 250ms"` after it, on a timer (no thread waits). For
///   testing deadlines and drains.
/// - `fail`: answers `handler_failed` with the payload as the message. For
///   testing callers' error paths.
/// - `size`: replies with the payload's length in bytes, as text.
std::optional<handler> make_builtin(const std::string& name);

/// The names `make_builtin` knows, sorted.
std::vector<std::string> builtin_names();

} // namespace switchboard::daemon
