#include "switchboard/core/name_pool.hpp"

namespace switchboard::core {

namespace {

constexpr size_t min_sweep = 64;

} // namespace

name_pool::map::value_type* name_pool::find_or_add(const std::string& name) {
  auto i = by_name_.find(name);
  if (i == by_name_.end()) {
    uint32_t id;
    if (free_.empty()) {
      id = static_cast<uint32_t>(by_id_.size());
      by_id_.push_back(nullptr);
    } else {
      id = free_.back();
      free_.pop_back();
    }
    i = by_name_.emplace(name, entry{id, 0}).first;
    by_id_[id] = &*i;
    ++idle_; // Until `acquire` counts its first use.
  }
  last_ = &*i;
  return last_;
}

void name_pool::add_idle() {
  ++idle_;
  if (idle_ > min_sweep && idle_ > by_name_.size() - idle_)
    sweep();
}

void name_pool::sweep() {
  for (auto i = by_name_.begin(); i != by_name_.end();) {
    if (i->second.uses == 0) {
      by_id_[i->second.id] = nullptr;
      free_.push_back(i->second.id);
      if (last_ == &*i)
        last_ = nullptr;
      i = by_name_.erase(i);
    } else {
      ++i;
    }
  }
  idle_ = 0;
}

} // namespace switchboard::core
