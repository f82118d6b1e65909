#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

namespace switchboard::core {

/// Outstanding requests of one caller, keyed by id, with their deadlines.
///
/// Every operation is O(1) (amortized), whatever the number of entries and
/// whatever the mix of timeouts: `insert`, `find` and `take` index a slab by
/// the id, and deadlines sit in FIFO lanes, one per *timeout class*, so the
/// earliest deadline of a lane is its head. This is what lets one caller
/// keep 100 000 requests in flight without the per-reply cost growing (CAF
/// 0.17's own response map is a vector with linear search).
///
/// Timeout classes: a timeout below 16 ns is a class of its own; above, the
/// class is its highest bit and the four bits after it, so the timeouts of
/// one class lie within 1/16 of each other (at most 960 classes in all). A
/// lane is opened for a class on its first entry, found again through a
/// direct index (a linear look at up to 4 lanes while a table has no more),
/// and reclaimed when its last entry leaves. So a caller whose every call
/// carries a different timeout (a mesh call carries the time it has left)
/// still finds its lane in constant time, and scanning the lanes (`expire`,
/// `next_deadline`) stays bounded by the classes in use.
///
/// Precision: an entry never expires before its deadline. Entries of one
/// timeout value, inserted in deadline order, expire exactly at their
/// deadlines. When different timeouts of one class share a lane, an entry
/// can wait behind a longer one sent before it: it expires at most the
/// difference of the two timeouts late, under 1/16 of its own timeout (a
/// 100 ms call at most 6.25 ms late). An entry inserted out of deadline
/// order (an explicit deadline earlier than "now + timeout") likewise
/// expires no earlier than the entries ahead of it in its lane.
///
/// Not thread-safe: one owner. Ids are never 0 and an id is not reused until
/// 2^32 reuses of its slot.
template <class T>
class pending_table {
public:
  using clock = std::chrono::steady_clock;
  using time_point = clock::time_point;
  using duration = clock::duration;

  /// Adds `value` due at `deadline` in the lane of `timeout`'s class (the
  /// timeout the deadline was computed from); returns its id.
  template <class U>
  uint64_t insert(U&& value, time_point deadline, duration timeout) {
    auto index = acquire(slots_, free_);
    auto& s = slots_[index];
    s.value.emplace(std::forward<U>(value));
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

  /// Removes the entry for `id` and runs `f(T&)` on it where it lies (no
  /// move), then destroys it; returns false (not calling `f`) if it is
  /// unknown or gone. While `f` runs the id is already gone (`find`, `take`
  /// and `expire` miss it) and its slot is not reused, so `f` may insert,
  /// take and expire; it must not destroy the table.
  template <class F>
  bool take_with(uint64_t id, F&& f) {
    auto index = slot_of(id);
    if (!index)
      return false;
    forget(*index);
    struct finish {
      pending_table* self;
      uint32_t index;
      ~finish() {
        self->free_slot(index);
      }
    } done{this, *index};
    // Blocks never move: the value stays where it is while `f` inserts.
    f(*slots_[*index].value);
    return true;
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

  /// How many lanes hold entries (at most one per timeout class in use).
  size_t lanes_in_use() const noexcept {
    return lanes_.size() - free_lanes_.size();
  }

  /// The class of `timeout`: timeouts of one class share a lane.
  static uint32_t timeout_class(duration timeout) noexcept {
    auto t = timeout.count();
    if (t < 16)
      return t <= 0 ? 0 : static_cast<uint32_t>(t);
    auto bits = static_cast<uint64_t>(t);
    int msb = 63 - __builtin_clzll(bits);
    auto shift = msb - 4;
    auto top = static_cast<uint32_t>(bits >> shift); // in [16, 31]
    return 16 * static_cast<uint32_t>(shift + 1) + (top - 16);
  }

  /// The number of distinct timeout classes.
  static constexpr uint32_t class_count = 16 * 60;

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

  /// Up to this many lanes, `lane_for` looks at each; past it, a direct
  /// index by class.
  static constexpr size_t linear_lanes = 4;

  struct lane {
    uint32_t cls = 0;
    int32_t head = -1;
    int32_t tail = -1;
  };

  /// The slots, in blocks that never move: 16, 32, ... 4096 slots, then
  /// 4096 at a time. Unlike one doubling vector, growth leaves at most one
  /// block unused (a vector of 100 000 slots holds room for 131 072) and
  /// never copies the slots; an empty table allocates nothing.
  class slab {
  public:
    slot& operator[](size_t i) {
      auto [block, offset] = locate(i);
      return blocks_[block][offset];
    }

    const slot& operator[](size_t i) const {
      auto [block, offset] = locate(i);
      return blocks_[block][offset];
    }

    size_t size() const noexcept {
      return size_;
    }

    /// Appends a default slot.
    void emplace_back() {
      if (size_ == capacity_) {
        auto n = blocks_.size() < growing_blocks
                   ? first_block << blocks_.size()
                   : last_block;
        blocks_.push_back(std::make_unique<slot[]>(n));
        capacity_ += n;
      }
      ++size_;
    }

  private:
    static constexpr size_t first_block = 16;
    static constexpr size_t last_block = 4096;
    /// Blocks of 16 << k slots, k < growing_blocks, come first.
    static constexpr size_t growing_blocks = 9;
    /// Slots in the growing blocks: 16 * (2^9 - 1).
    static constexpr size_t growing_slots = first_block
                                            * ((size_t{1} << growing_blocks)
                                               - 1);

    static std::pair<size_t, size_t> locate(size_t i) noexcept {
      if (i >= growing_slots) {
        auto rest = i - growing_slots;
        return {growing_blocks + rest / last_block, rest % last_block};
      }
      // Block k starts at 16 * (2^k - 1).
      auto k = static_cast<size_t>(63 - __builtin_clzll(i / first_block + 1));
      return {k, i - first_block * ((size_t{1} << k) - 1)};
    }

    std::vector<std::unique_ptr<slot[]>> blocks_;
    size_t size_ = 0;
    size_t capacity_ = 0;
  };

  /// A free index of `xs` (from `free`, or a new element at the end).
  template <class Xs>
  static uint32_t acquire(Xs& xs, std::vector<uint32_t>& free) {
    if (free.empty()) {
      xs.emplace_back();
      return static_cast<uint32_t>(xs.size() - 1);
    }
    auto index = free.back();
    free.pop_back();
    return index;
  }

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
    auto cls = timeout_class(timeout);
    if (by_class_.empty()) {
      for (size_t i = 0; i < lanes_.size(); ++i)
        if (lanes_[i].head >= 0 && lanes_[i].cls == cls)
          return static_cast<uint32_t>(i);
    } else if (auto i = by_class_[cls]; i != 0) {
      return uint32_t{i} - 1;
    }
    auto i = acquire(lanes_, free_lanes_);
    lanes_[i].cls = cls;
    if (by_class_.empty() && lanes_.size() > linear_lanes) {
      by_class_.assign(class_count, 0);
      for (size_t j = 0; j < lanes_.size(); ++j)
        if (lanes_[j].head >= 0)
          by_class_[lanes_[j].cls] = static_cast<uint16_t>(j + 1);
    }
    if (!by_class_.empty())
      by_class_[cls] = static_cast<uint16_t>(i + 1);
    return i;
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
    if (l.head < 0) { // Its last entry left: reclaim the lane.
      free_lanes_.push_back(s.lane);
      if (!by_class_.empty())
        by_class_[l.cls] = 0;
    }
  }

  /// Takes the entry at `index` out of its lane and out of the table's
  /// count, and retires its id; the value stays until `free_slot`.
  void forget(uint32_t index) {
    unlink(index);
    ++slots_[index].generation;
    --size_;
  }

  /// Destroys the value at `index` (forgotten before) and reuses its slot.
  void free_slot(uint32_t index) {
    slots_[index].value.reset();
    free_.push_back(index);
  }

  T release(uint32_t index) {
    forget(index);
    T result = std::move(*slots_[index].value);
    free_slot(index);
    return result;
  }

  slab slots_;
  std::vector<uint32_t> free_;
  std::vector<lane> lanes_;
  std::vector<uint32_t> free_lanes_;
  /// Lane + 1 by timeout class (0: none); empty while `lanes_` is short.
  std::vector<uint16_t> by_class_;
  size_t size_ = 0;
};

} // namespace switchboard::core
