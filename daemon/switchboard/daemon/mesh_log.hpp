#pragma once

// The mesh's lines (`mesh_options::log`) in the daemon's log.

#include <functional>
#include <memory>
#include <string>

#include "switchboard/daemon/logger.hpp"

namespace switchboard::daemon {

/// A `mesh_options::log` that writes each line of the mesh to `log` with
/// a `component` field: refusals of the front door (`refused ...`) and of
/// the transport (`transport: closed connection from ...`) through
/// `logger::refused` (rate-limited per component), a peer unreachable or
/// down at level warn, everything else (peers up, routes reachable or
/// gone) at level info. The text of each line is the message unchanged.
std::function<void(const std::string&)>
mesh_log_sink(std::shared_ptr<logger> log);

} // namespace switchboard::daemon
