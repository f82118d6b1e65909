#include "switchboard/core/round_robin.hpp"

namespace switchboard::core {

size_t round_robin::select(const pool_view& pool, uint64_t) {
  auto ticket = next_.fetch_add(1, std::memory_order_relaxed);
  return static_cast<size_t>(ticket % pool.size);
}

} // namespace switchboard::core
