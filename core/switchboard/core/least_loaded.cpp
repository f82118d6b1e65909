#include "switchboard/core/least_loaded.hpp"

namespace switchboard::core {

size_t least_loaded::select(const pool_view& pool, uint64_t) {
  auto n = pool.size;
  auto first = static_cast<size_t>(start_.fetch_add(1, std::memory_order_relaxed)
                                    % n);
  auto best = first;
  auto best_load = pool.in_flight(first);
  for (size_t step = 1; step < n && best_load > 0; ++step) {
    auto i = (first + step) % n;
    auto load = pool.in_flight(i);
    if (load < best_load) {
      best = i;
      best_load = load;
    }
  }
  return best;
}

} // namespace switchboard::core
