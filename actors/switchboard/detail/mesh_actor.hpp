#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/node_id.hpp>
#include <caf/stateful_actor.hpp>

#include "switchboard/core/mesh_table.hpp"
#include "switchboard/core/peer_stats.hpp"
#include "switchboard/detail/front_door.hpp"
#include "switchboard/detail/link_counters.hpp"
#include "switchboard/detail/link_gate.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/detail/traffic_table.hpp"
#include "switchboard/mesh.hpp"

namespace switchboard::detail {

/// The links one peer name had, for `mesh::peer_stats`.
struct peer_record {
  /// Address, connects, and the calls and replies of the links that ended
  /// (name, up and bytes are filled in when read).
  core::peer_stats totals;
  /// The counters of the peer's links that are up.
  std::vector<std::shared_ptr<const link_counters>> live;
};

/// What the mesh actor publishes for the blocking `mesh` API.
struct mesh_shared {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<peer_info> peers;
  std::set<std::string> reachable;
  std::string name;
  /// Every peer name that ever had a link up.
  std::map<std::string, peer_record> records;
  /// Bytes per peer name (the transport writes the counts).
  std::shared_ptr<traffic_table> traffic;
};

/// Each peer's metrics from `shared` (see `mesh::peer_stats`). Any thread.
std::vector<core::peer_stats> peer_stats_of(mesh_shared& shared);

/// The mesh actor's state (see mesh_actor).
struct mesh_state {
  struct link_info {
    caf::actor handle;
    std::string peer;
    /// The CAF node of the peer's end, to tell two nodes of one name apart.
    caf::node_id peer_node;
    /// Index into `targets` for links this node dialled; -1 for accepted.
    int target = -1;
    /// False until the handshake completed.
    bool up = false;
    /// Adverts that arrived before the handshake completed.
    std::vector<core::advert> early;
    /// What this node last advertised on the link.
    std::vector<core::advert> sent;
    /// What the link sent and took (the link writes them).
    std::shared_ptr<link_counters> counters;
    /// This node's calls in flight on the link (see `link_gate`).
    std::shared_ptr<link_gate> gate;
  };

  /// A peer this node connects to (and reconnects to).
  struct target {
    std::string host;
    uint16_t port = 0;
    caf::timespan backoff{0};
    /// The link while connected or handshaking; 0 otherwise.
    uint64_t link = 0;
    /// The peer's registry while a handshake with it runs (monitored).
    caf::actor_addr handshake;
    /// The last failure, logged once per distinct text.
    std::string last_error;
    std::string peer;
  };

  mesh_options opts;
  std::shared_ptr<mesh_shared> shared;
  caf::actor registry;
  std::shared_ptr<directory_cell> dir;
  std::unique_ptr<core::mesh_table> table;
  std::map<uint64_t, link_info> links;
  std::map<caf::actor_addr, uint64_t> link_ids;
  uint64_t next_link_id = 1;
  std::vector<target> targets;
  /// This node's routes as the registry's events say, while a flush of
  /// them into `table` is pending.
  std::optional<std::set<std::string>> local;
  bool local_flush_scheduled = false;
  /// The certificate name behind a CAF node (TLS); empty without TLS.
  identify_fn identify;
  /// Dials peers (see detail/transport.hpp).
  caf::io::middleman_actor transport;
  /// What was last logged as reachable: route -> "via B (served by C)".
  std::map<std::string, std::string> logged;

  static constexpr const char* name = "switchboard.mesh";
};

/// The mesh actor of one node: dials and accepts peers, runs the
/// advertisement protocol over its links, and keeps the published table
/// of remote routes current. Protocol in docs/mesh.md.
caf::behavior mesh_actor(caf::stateful_actor<mesh_state>* self,
                         mesh_options opts, caf::actor registry,
                         std::shared_ptr<directory_cell> dir,
                         std::shared_ptr<mesh_shared> shared,
                         caf::io::middleman_actor transport,
                         identify_fn identify);

} // namespace switchboard::detail
