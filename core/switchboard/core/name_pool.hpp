#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace switchboard::core {

/// Strings shared by many holders, each held as a 32-bit id: the string is
/// stored once, however many hold it.
///
/// `acquire` returns the id of a name (adding it if new) and counts one
/// more use; `release` counts one less. A name nobody uses stays known for
/// a while, so a caller that calls one route at a time does not add and
/// drop it on every call; unused names are dropped in sweeps once they
/// outnumber both 64 and the names in use, which keeps the pool's size
/// within a constant factor of what is in use. Every operation is O(1)
/// (amortized). An id stays valid until its last use is released; its
/// name's reference until then, too. Not thread-safe: one owner.
class name_pool {
public:
  /// Returns the id of `name`, adding it if needed, and counts one use.
  uint32_t acquire(const std::string& name) {
    auto node = last_ != nullptr && last_->first == name ? last_
                                                         : find_or_add(name);
    if (node->second.uses++ == 0)
      --idle_;
    return node->second.id;
  }

  /// Counts one use of `id` less.
  void release(uint32_t id) {
    if (--by_id_[id]->second.uses == 0)
      add_idle();
  }

  /// The name of `id` (valid while it is in use).
  const std::string& operator[](uint32_t id) const {
    return by_id_[id]->first;
  }

  /// Names known, in use or not.
  size_t size() const noexcept {
    return by_name_.size();
  }

  /// Names known and not in use.
  size_t idle() const noexcept {
    return idle_;
  }

private:
  struct entry {
    uint32_t id;
    uint32_t uses;
  };

  using map = std::unordered_map<std::string, entry>;

  /// Looks `name` up, adding it (idle) if new, and makes it `last_`.
  map::value_type* find_or_add(const std::string& name);

  void add_idle();

  void sweep();

  map by_name_;
  /// Nodes of `by_name_` by id (their addresses survive rehashing).
  std::vector<map::value_type*> by_id_;
  std::vector<uint32_t> free_;
  /// The name acquired last: a caller usually calls one route many times.
  map::value_type* last_ = nullptr;
  size_t idle_ = 0;
};

} // namespace switchboard::core
