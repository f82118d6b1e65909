#pragma once

#include <cstdint>
#include <string_view>

#include "switchboard/core/route_info.hpp"

namespace switchboard::core {

/// What happened to a route, as told to the registry's watchers.
enum class route_change : uint8_t { added, removed, replaced };

std::string_view to_string(route_change x) noexcept;

/// One change of the route table.
struct route_event {
  route_change change = route_change::added;
  /// The route after the change (for `removed`: as it was).
  route_info route;
};

} // namespace switchboard::core
