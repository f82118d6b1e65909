#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>

#include "switchboard/core/route_info.hpp"
#include "switchboard/detail/link_gate.hpp"

namespace switchboard::detail {

/// One link towards a peer that serves (or relays) a route.
struct remote_link {
  caf::actor handle;
  /// This node's calls in flight on the link, against the peer's limit
  /// (shared with the link, which gives the slots back).
  std::shared_ptr<link_gate> gate;
  /// The peer's node name, for errors.
  std::string peer;
};

/// A route served by other nodes, as the mesh publishes it (see
/// `directory_cell::load_remote`).
struct remote_route {
  /// The links calls go to (the load is shared round-robin).
  std::vector<remote_link> links;
  /// What `list` shows for it.
  core::route_info info;
  /// Picks the next link, round-robin over every caller. (A pointer keeps
  /// the struct movable while the map is built.)
  std::shared_ptr<std::atomic<size_t>> next
    = std::make_shared<std::atomic<size_t>>(0);

  /// The link for the next call (`links` must not be empty).
  const remote_link& pick() const {
    return links[next->fetch_add(1, std::memory_order_relaxed)
                 % links.size()];
  }
};

/// Every route reachable through peers and not served locally.
using remote_routes = std::unordered_map<std::string, remote_route>;

} // namespace switchboard::detail
