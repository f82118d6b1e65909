#pragma once

#include <optional>
#include <string>

#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "switchboard/core/error_code.hpp"

namespace switchboard {

using core::error_code;

/// The CAF error category of every switchboard error.
inline constexpr caf::atom_value error_category = caf::atom("switchbrd");

/// Builds a switchboard error whose context carries a human message.
caf::error make_error(error_code code, std::string message);

/// Returns the switchboard code of `x`, or nothing for other categories.
std::optional<error_code> code_of(const caf::error& x);

/// Returns the human message of a switchboard error, or CAF's rendering of
/// any other error.
std::string message_of(const caf::error& x);

/// Renders any error as `<kind>: <message>`, e.g.
/// `no_such_route: no route named 'echo'`.
std::string describe(const caf::error& x);

/// Registers the category with CAF so that `to_string` on an error and
/// CAF's own logs print switchboard errors by name, and the message types
/// that cross the network (route listings).
void register_error_category(caf::actor_system_config& cfg);

} // namespace switchboard

namespace switchboard::core {

/// Lets `caf::error err = error_code::timeout;` and `err == error_code::x`
/// work (found by argument-dependent lookup).
caf::error make_error(error_code code);

} // namespace switchboard::core
