#include "switchboard/detail/traffic_table.hpp"

#include <algorithm>

namespace switchboard::detail {

void traffic_table::attach(const caf::node_id& node,
                           const connection_bytes* conn) {
  std::lock_guard<std::mutex> guard{mtx_};
  nodes_[node].live.push_back(conn);
}

void traffic_table::detach(const caf::node_id& node,
                           const connection_bytes* conn) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = nodes_.find(node);
  if (i == nodes_.end())
    return;
  auto& live = i->second.live;
  auto j = std::find(live.begin(), live.end(), conn);
  if (j == live.end())
    return;
  live.erase(j);
  if (!i->second.name.empty()) {
    auto& total = closed_[i->second.name];
    total.in += conn->in.load(std::memory_order_relaxed);
    total.out += conn->out.load(std::memory_order_relaxed);
  }
  prune(i);
}

void traffic_table::claim(const caf::node_id& node, const std::string& name) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& entry = nodes_[node];
  if (entry.claims > 0 && entry.name != name)
    return;
  entry.name = name;
  ++entry.claims;
}

void traffic_table::release(const caf::node_id& node) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto i = nodes_.find(node);
  if (i == nodes_.end() || i->second.claims == 0)
    return;
  --i->second.claims;
  prune(i);
}

byte_totals traffic_table::bytes_of(const std::string& name) const {
  byte_totals result;
  if (name.empty())
    return result; // unclaimed nodes have no name
  std::lock_guard<std::mutex> guard{mtx_};
  if (auto i = closed_.find(name); i != closed_.end())
    result = i->second;
  for (auto& [node, entry] : nodes_) {
    if (entry.name != name)
      continue;
    for (auto* conn : entry.live) {
      result.in += conn->in.load(std::memory_order_relaxed);
      result.out += conn->out.load(std::memory_order_relaxed);
    }
  }
  return result;
}

size_t traffic_table::nodes() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return nodes_.size();
}

void traffic_table::prune(std::map<caf::node_id, node_entry>::iterator i) {
  if (i->second.claims == 0 && i->second.live.empty())
    nodes_.erase(i);
}

} // namespace switchboard::detail
