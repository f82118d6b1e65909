#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>

namespace switchboard::detail {

/// The calls this node has in flight on one link, counted where they are
/// issued, against the limit the peer announced for them (its inbound
/// `link_max_in_flight`).
///
/// Whoever hands a call to the link takes a slot first
/// (`dispatch_remote` for callers of this node, any thread; the link
/// itself for calls it relays); the link gives each slot back exactly once,
/// when the call leaves its table (reply, error, timeout, the link
/// closing) or never enters it. A caller that finds no slot is refused at
/// once, without waiting behind the calls queued for the link.
///
/// Does not protect the peer: the peer enforces its own limit whatever
/// this node believes it to be (an older peer announces none).
class link_gate {
public:
  /// The limit until the peer announces its own, and the most a peer may
  /// announce: the largest `link_max_in_flight` a configuration accepts.
  static constexpr int64_t max_limit = 1'000'000;

  /// Takes a slot; false, with nothing taken, if `limit()` calls are in
  /// flight already. Lock-free; never takes a slot beyond the limit.
  [[nodiscard]] bool try_acquire() noexcept {
    auto n = in_flight_.load(std::memory_order_relaxed);
    auto limit = limit_.load(std::memory_order_relaxed);
    while (n < limit)
      if (in_flight_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed))
        return true;
    return false;
  }

  /// Gives back `n` slots taken with `try_acquire`.
  void release(int64_t n = 1) noexcept {
    in_flight_.fetch_sub(n, std::memory_order_relaxed);
  }

  /// Sets the limit the peer announced, clamped to [1, `max_limit`].
  void set_limit(int64_t n) noexcept {
    limit_.store(std::clamp(n, int64_t{1}, max_limit),
                 std::memory_order_relaxed);
  }

  int64_t limit() const noexcept {
    return limit_.load(std::memory_order_relaxed);
  }

  int64_t in_flight() const noexcept {
    return in_flight_.load(std::memory_order_relaxed);
  }

private:
  std::atomic<int64_t> in_flight_{0};
  std::atomic<int64_t> limit_{max_limit};
};

} // namespace switchboard::detail
