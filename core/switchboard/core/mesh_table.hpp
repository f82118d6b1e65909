#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace switchboard::core {

/// One route a peer can reach, as it advertises it: `path` lists the nodes
/// on the way, nearest first: `path.front()` is the advertising peer,
/// `path.back()` the origin node that serves the route.
struct advert {
  std::string route;
  std::vector<std::string> path;

  friend bool operator==(const advert& x, const advert& y) {
    return x.route == y.route && x.path == y.path;
  }
};

/// Lets CAF serialize an advert (it crosses the network).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, advert& x) {
  return f(x.route, x.path);
}

/// One way to reach a remote route: the link to send it on and the path.
struct next_hop {
  uint64_t link = 0;
  std::vector<std::string> path;
};

/// A node's view of the mesh, as a path-vector table (no actors, no I/O).
///
/// Each link to a peer (several links may lead to the same peer) carries
/// what that peer advertises. For each route that is not served locally,
/// the next hops are the links with the shortest path; calls share the
/// load among them. What this node advertises to a peer is its local
/// routes (path = [self]) and, for every other route, its shortest path
/// with itself prepended, except paths that already contain the peer: a
/// node never offers a peer a route that runs back through that peer, and
/// adverts whose path contains this node are ignored, so forwarding never
/// loops once the tables agree. Malformed adverts are ignored too: an empty
/// path, one that does not start at the peer or visits a node twice, and a
/// route name that `route_name_problem` refuses.
class mesh_table {
public:
  explicit mesh_table(std::string self);

  const std::string& self() const noexcept {
    return self_;
  }

  /// Replaces the set of routes this node serves.
  void set_local(std::set<std::string> routes);

  const std::set<std::string>& local() const noexcept {
    return local_;
  }

  /// Replaces everything advertised on `link` by the peer `peer_name`.
  void set_link(uint64_t link, std::string peer_name,
                std::vector<advert> adverts);

  /// Forgets `link` and everything advertised on it.
  void drop_link(uint64_t link);

  /// The links to forward `route` to (shortest paths, by link id); empty
  /// if the route is local or unknown.
  std::vector<next_hop> next_hops(const std::string& route) const;

  /// Every route reachable through peers and not served here, with its
  /// next hops.
  std::map<std::string, std::vector<next_hop>> remote() const;

  /// What this node advertises on `link`, sorted by route.
  std::vector<advert> adverts_for(uint64_t link) const;

private:
  struct link_entry {
    std::string peer;
    std::map<std::string, std::vector<std::string>> routes;
  };

  std::string self_;
  std::set<std::string> local_;
  std::map<uint64_t, link_entry> links_;
};

} // namespace switchboard::core
