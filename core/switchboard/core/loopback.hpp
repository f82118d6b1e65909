#pragma once

#include <string_view>

namespace switchboard::core {

/// Whether `host` is a loopback address: `localhost` (any case), an IPv4
/// address in 127.0.0.0/8, or `::1` (also bracketed, `[::1]`, or as
/// `::ffff:127.x.y.z`). Never resolves a name: every other host name is not
/// loopback. Protected mode (a node without TLS listens only on loopback)
/// rests on this one check, in the config reader and in `mesh::listen`.
bool is_loopback(std::string_view host);

} // namespace switchboard::core
