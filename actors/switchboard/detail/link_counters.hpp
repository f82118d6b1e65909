#pragma once

#include <atomic>
#include <cstdint>

#include "switchboard/core/peer_stats.hpp"

namespace switchboard::detail {

/// What one link sent to its peer and took from it, in `wire_request`s and
/// `wire_reply`s. Single writer: the link actor adds with a relaxed load
/// and store (no locked instruction on the call path); anyone may read.
/// The mesh sums them per peer name (see `core::peer_stats`).
struct link_counters {
  std::atomic<uint64_t> calls_out{0};
  std::atomic<uint64_t> calls_in{0};
  std::atomic<uint64_t> replies_out{0};
  std::atomic<uint64_t> replies_in{0};

  /// Adds `n` to `x`; only the owning link calls it.
  static void add(std::atomic<uint64_t>& x, uint64_t n) noexcept {
    x.store(x.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }

  /// Adds the counts so far to `x`'s calls and replies (any thread).
  void add_to(core::peer_stats& x) const noexcept {
    x.calls_out += calls_out.load(std::memory_order_relaxed);
    x.calls_in += calls_in.load(std::memory_order_relaxed);
    x.replies_out += replies_out.load(std::memory_order_relaxed);
    x.replies_in += replies_in.load(std::memory_order_relaxed);
  }
};

} // namespace switchboard::detail
