#include "switchboard/core/mesh_table.hpp"

#include <algorithm>
#include <set>

#include "switchboard/core/route_name.hpp"

namespace switchboard::core {

namespace {

bool contains(const std::vector<std::string>& path, const std::string& x) {
  return std::find(path.begin(), path.end(), x) != path.end();
}

/// Whether `path` visits a node twice.
bool has_loop(const std::vector<std::string>& path) {
  std::set<std::string_view> seen;
  for (auto& x : path)
    if (!seen.insert(x).second)
      return true;
  return false;
}

} // namespace

mesh_table::mesh_table(std::string self) : self_(std::move(self)) {
  // nop
}

void mesh_table::set_local(std::set<std::string> routes) {
  local_ = std::move(routes);
}

void mesh_table::set_link(uint64_t link, std::string peer_name,
                          std::vector<advert> adverts) {
  link_entry entry;
  entry.peer = std::move(peer_name);
  for (auto& x : adverts) {
    // A path through this node would loop; an empty path, one that does
    // not start at the advertising peer or visits a node twice, and a route
    // name no node may have (`route_name_problem`) are malformed.
    if (x.path.empty() || x.path.front() != entry.peer
        || contains(x.path, self_) || has_loop(x.path)
        || !route_name_problem(x.route).empty())
      continue;
    auto& slot = entry.routes[x.route];
    if (slot.empty() || x.path.size() < slot.size())
      slot = std::move(x.path);
  }
  links_[link] = std::move(entry);
}

void mesh_table::drop_link(uint64_t link) {
  links_.erase(link);
}

std::vector<next_hop> mesh_table::next_hops(const std::string& route) const {
  std::vector<next_hop> result;
  if (local_.count(route) != 0)
    return result;
  size_t best = SIZE_MAX;
  for (auto& [id, entry] : links_) {
    auto i = entry.routes.find(route);
    if (i == entry.routes.end() || i->second.size() > best)
      continue;
    if (i->second.size() < best) {
      best = i->second.size();
      result.clear();
    }
    result.push_back(next_hop{id, i->second});
  }
  return result;
}

std::map<std::string, std::vector<next_hop>> mesh_table::remote() const {
  std::set<std::string> names;
  for (auto& [id, entry] : links_)
    for (auto& [route, path] : entry.routes)
      if (local_.count(route) == 0)
        names.insert(route);
  std::map<std::string, std::vector<next_hop>> result;
  for (auto& name : names)
    result.emplace(name, next_hops(name));
  return result;
}

std::vector<advert> mesh_table::adverts_for(uint64_t link) const {
  std::string peer;
  if (auto i = links_.find(link); i != links_.end())
    peer = i->second.peer;
  std::vector<advert> result;
  for (auto& route : local_)
    result.push_back(advert{route, {self_}});
  for (auto& entry_of_route : remote()) {
    auto& route = entry_of_route.first;
    // Shortest path that does not run through the peer (ties: lowest
    // link id, so the advert is stable).
    const std::vector<std::string>* best = nullptr;
    for (auto& [id, entry] : links_) {
      auto i = entry.routes.find(route);
      if (i == entry.routes.end() || contains(i->second, peer))
        continue;
      if (best == nullptr || i->second.size() < best->size())
        best = &i->second;
    }
    if (best == nullptr)
      continue;
    advert x{route, {self_}};
    x.path.insert(x.path.end(), best->begin(), best->end());
    result.push_back(std::move(x));
  }
  std::sort(result.begin(), result.end(),
            [](const advert& x, const advert& y) { return x.route < y.route; });
  return result;
}

} // namespace switchboard::core
