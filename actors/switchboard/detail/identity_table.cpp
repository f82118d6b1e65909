#include "switchboard/detail/identity_table.hpp"

namespace switchboard::detail {

bool identity_table::bind(const caf::node_id& node,
                          const std::string& subject) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(node);
  if (i == entries_.end()) {
    entries_.emplace(node, entry{subject, 1});
    return true;
  }
  if (i->second.subject != subject)
    return false;
  ++i->second.connections;
  return true;
}

void identity_table::unbind(const caf::node_id& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(node);
  if (i != entries_.end() && --i->second.connections == 0)
    entries_.erase(i);
}

std::optional<std::string>
identity_table::subject_of(const caf::node_id& node) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = entries_.find(node);
  if (i == entries_.end())
    return std::nullopt;
  return i->second.subject;
}

size_t identity_table::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

} // namespace switchboard::detail
