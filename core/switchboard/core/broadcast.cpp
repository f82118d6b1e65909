#include "switchboard/core/broadcast.hpp"

namespace switchboard::core {

size_t broadcast::select(const pool_view&, uint64_t) {
  return 0;
}

bool broadcast::fan_out() const noexcept {
  return true;
}

} // namespace switchboard::core
