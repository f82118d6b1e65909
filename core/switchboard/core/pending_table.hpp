#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace switchboard::core {

/// Outstanding requests of one caller, keyed by id, with their deadlines.
///
/// Every operation is O(1) (amortized), whatever the number of entries:
/// `insert`, `find` and `take` index a slab by the id, and deadlines sit in
/// one FIFO lane per distinct timeout value, so the earliest deadline of a
/// lane is always its head. This is what lets one caller keep 100 000
/// requests in flight without the per-reply cost growing (CAF 0.17's own
/// response map is a vector with linear search).
///
/// Limits: within a lane, deadlines should arrive in order (true when they
/// are "send time + the lane's timeout" on one clock); an entry inserted out
/// of order expires no earlier than the entries ahead of it. Past 16 lanes,
/// an empty lane is recycled before a new one is opened. A new lane is opened for
/// each distinct timeout and lanes are searched linearly, so keep the set of
/// timeout values small (a handful per caller). Not thread-safe: one owner.
/// Ids are never 0 and an id is not reused until 2^32 reuses of its slot.
template <class T>
class pending_table {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;

  /// Adds `value` due at `deadline` in the lane of `timeout` (the timeout
  /// the deadline was computed from); returns its id.
  uint64_t insert(T value, time_point deadline, duration timeout) {
    uint32_t index;
    if (free_.empty()) {
      index = static_cast<uint32_t>(slots_.size());
      slots_.emplace_back();
    } else {
      index = free_.back();
      free_.pop_back();
    }
    auto& s = slots_[index];
    s.value.emplace(std::move(value));
    s.deadline = deadline;
    s.lane = lane_for(timeout);
    link_back(index);
    ++size_;
    return (uint64_t{s.generation} << 32) | (uint64_t{index} + 1);
  }

  /// Returns the entry for `id`, or nullptr if it is unknown or gone.
  T* find(uint64_t id) {
    auto index = slot_of(id);
    return index ? &*slots_[*index].value : nullptr;
  }

  /// Removes the entry for `id` and returns it, or nothing if it is gone.
  std::optional<T> take(uint64_t id) {
    auto index = slot_of(id);
    if (!index)
      return std::nullopt;
    return release(*index);
  }

  /// Removes every entry whose deadline is at or before `now` and passes
  /// each to `f(id, T&&)`; returns how many. `f` may insert and take; an
  /// entry it inserts that is already due is expired by this same call (so
  /// `f` must not keep inserting due entries).
  template <class F>
  size_t expire(time_point now, F&& f) {
    size_t count = 0;
    for (size_t lane = 0; lane < lanes_.size(); ++lane) {
      for (;;) {
        auto head = lanes_[lane].head;
        if (head < 0 || slots_[head].deadline > now)
          break;
        auto id = id_of(static_cast<uint32_t>(head));
        auto value = release(static_cast<uint32_t>(head));
        ++count;
        f(id, std::move(value));
      }
    }
    return count;
  }

  /// Removes every entry and passes each to `f(id, T&&)`.
  template <class F>
  void clear(F&& f) {
    for (size_t lane = 0; lane < lanes_.size(); ++lane)
      while (lanes_[lane].head >= 0) {
        auto head = static_cast<uint32_t>(lanes_[lane].head);
        auto id = id_of(head);
        f(id, release(head));
      }
  }

  /// The earliest deadline among the lane heads, or nothing if the table is
  /// empty. Equal to the earliest of all entries when each lane is in order.
  std::optional<time_point> next_deadline() const {
    std::optional<time_point> result;
    for (auto& lane : lanes_)
      if (lane.head >= 0) {
        auto t = slots_[lane.head].deadline;
        if (!result || t < *result)
          result = t;
      }
    return result;
  }

  size_t size() const noexcept {
    return size_;
  }

  bool empty() const noexcept {
    return size_ == 0;
  }

private:
  struct slot {
    std::optional<T> value;
    time_point deadline;
    uint32_t generation = 0;
    uint32_t lane = 0;
    int32_t prev = -1;
    int32_t next = -1;
  };

  static constexpr size_t reuse_threshold = 16;

  struct lane {
    duration timeout;
    int32_t head = -1;
    int32_t tail = -1;
  };

  uint64_t id_of(uint32_t index) const {
    return (uint64_t{slots_[index].generation} << 32) | (uint64_t{index} + 1);
  }

  std::optional<uint32_t> slot_of(uint64_t id) const {
    auto low = id & 0xFFFFFFFFull;
    if (low == 0 || low > slots_.size())
      return std::nullopt;
    auto index = static_cast<uint32_t>(low - 1);
    auto& s = slots_[index];
    if (!s.value || s.generation != static_cast<uint32_t>(id >> 32))
      return std::nullopt;
    return index;
  }

  uint32_t lane_for(duration timeout) {
    for (size_t i = 0; i < lanes_.size(); ++i)
      if (lanes_[i].timeout == timeout)
        return static_cast<uint32_t>(i);
    // Past a handful of lanes, recycle an empty one before growing.
    if (lanes_.size() >= reuse_threshold)
      for (size_t i = 0; i < lanes_.size(); ++i)
        if (lanes_[i].head < 0) {
          lanes_[i].timeout = timeout;
          return static_cast<uint32_t>(i);
        }
    lanes_.push_back(lane{timeout});
    return static_cast<uint32_t>(lanes_.size() - 1);
  }

  void link_back(uint32_t index) {
    auto& s = slots_[index];
    auto& l = lanes_[s.lane];
    s.prev = l.tail;
    s.next = -1;
    if (l.tail >= 0)
      slots_[l.tail].next = static_cast<int32_t>(index);
    else
      l.head = static_cast<int32_t>(index);
    l.tail = static_cast<int32_t>(index);
  }

  void unlink(uint32_t index) {
    auto& s = slots_[index];
    auto& l = lanes_[s.lane];
    if (s.prev >= 0)
      slots_[s.prev].next = s.next;
    else
      l.head = s.next;
    if (s.next >= 0)
      slots_[s.next].prev = s.prev;
    else
      l.tail = s.prev;
  }

  T release(uint32_t index) {
    unlink(index);
    auto& s = slots_[index];
    T result = std::move(*s.value);
    s.value.reset();
    ++s.generation;
    free_.push_back(index);
    --size_;
    return result;
  }

  std::vector<slot> slots_;
  std::vector<uint32_t> free_;
  std::vector<lane> lanes_;
  size_t size_ = 0;
};

} // namespace switchboard::core
