#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace switchboard::core {

/// The map from route names to routes, with the rules of the registry.
///
/// `Route` is whatever the owner keeps per route (the registry keeps a
/// shared pointer to the route's live state). Names are unique: `add`
/// refuses a taken name, `replace` refuses an unknown one. Not thread-safe:
/// one owner (the registry actor) mutates and reads it. Lookups take the
/// name as the request carries it and do not allocate.
template <class Route>
class route_table {
public:
  /// Adds `route` under `name`; returns false if the name is taken.
  bool add(std::string name, Route route) {
    return routes_.emplace(std::move(name), std::move(route)).second;
  }

  /// Swaps in `route` for `name` and returns the previous route, or nothing
  /// (and no change) if there is no such route.
  std::optional<Route> replace(const std::string& name, Route route) {
    auto i = routes_.find(name);
    if (i == routes_.end())
      return std::nullopt;
    std::swap(i->second, route);
    return route;
  }

  /// Removes `name` and returns its route, or nothing if there is none.
  std::optional<Route> remove(const std::string& name) {
    auto i = routes_.find(name);
    if (i == routes_.end())
      return std::nullopt;
    auto result = std::move(i->second);
    routes_.erase(i);
    return result;
  }

  /// Returns the route for `name` or nullptr.
  Route* find(const std::string& name) {
    auto i = routes_.find(name);
    return i == routes_.end() ? nullptr : &i->second;
  }

  size_t size() const noexcept {
    return routes_.size();
  }

  /// Visits every (name, route) pair in unspecified order.
  template <class F>
  void for_each(F&& f) const {
    for (auto& [name, route] : routes_)
      f(name, route);
  }

  /// All names, sorted.
  std::vector<std::string> names() const {
    std::vector<std::string> result;
    result.reserve(routes_.size());
    for (auto& kvp : routes_)
      result.push_back(kvp.first);
    std::sort(result.begin(), result.end());
    return result;
  }

private:
  using map_type = std::unordered_map<std::string, Route>;

  map_type routes_;
};

} // namespace switchboard::core
