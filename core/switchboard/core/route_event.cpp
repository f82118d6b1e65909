#include "switchboard/core/route_event.hpp"

namespace switchboard::core {

std::string_view to_string(route_change x) noexcept {
  switch (x) {
    case route_change::added:
      return "added";
    case route_change::removed:
      return "removed";
    case route_change::replaced:
      return "replaced";
  }
  return "unknown";
}

} // namespace switchboard::core
