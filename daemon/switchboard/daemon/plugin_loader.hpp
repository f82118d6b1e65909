#pragma once

#include <string>
#include <utility>
#include <vector>

#include <caf/expected.hpp>

#include "switchboard/handler.hpp"

namespace switchboard::daemon {

/// Loads the plugin at `path` (dlopen) and runs its entry point; returns
/// the routes it added as (name, handler) pairs, or a `bad_request` error
/// saying why it failed: the library does not load (with dlerror's text),
/// it lacks `switchboard_plugin_init`, its entry point threw, or it added
/// no route. The library stays loaded for the life of the process.
caf::expected<std::vector<std::pair<std::string, handler>>>
load_plugin(const std::string& path, const std::string& route_name);

} // namespace switchboard::daemon
