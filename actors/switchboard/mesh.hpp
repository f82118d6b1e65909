#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "switchboard/core/access_policy.hpp"
#include "switchboard/core/peer_stats.hpp"
#include "switchboard/router.hpp"

namespace switchboard {

/// The files of a node's TLS identity (PEM). Setting them switches every
/// connection of the node to TLS with mutual authentication: a peer must
/// present a certificate signed by `ca`, and so must this node.
struct tls_files {
  std::string certificate;
  std::string key;
  std::string ca;
};

/// How a node takes part in a mesh.
struct mesh_options {
  /// The node's name: unique in the mesh, shown as the origin of its
  /// routes. Required.
  std::string name;
  /// A link with nothing else to send sends a heartbeat this often.
  caf::timespan heartbeat = std::chrono::milliseconds{500};
  /// A peer silent for this long is declared down (its routes leave every
  /// registry, requests in flight to it get `node_down`).
  caf::timespan peer_timeout = std::chrono::seconds{2};
  /// Reconnection backoff: the first retry waits `retry_min`, each further
  /// one twice as long, at most `retry_max`.
  caf::timespan retry_min = std::chrono::milliseconds{100};
  caf::timespan retry_max = std::chrono::seconds{5};
  /// Use caf::openssl for listening and connecting (the actor system must
  /// be configured by `configure_mesh` with TLS files).
  bool tls = false;
  /// At most this many requests (or replies) travel in one network message.
  size_t max_batch = 1024;
  /// A link sends its batch before the payloads in it pass this many bytes.
  size_t max_batch_bytes = 4 * 1024 * 1024;
  /// Calls from one peer in flight on this node at once; beyond, the
  /// peer's further calls get `overloaded`.
  int64_t link_max_in_flight = 10000;
  /// The most routes one peer may advertise; a larger advertisement closes
  /// the link.
  size_t max_advert_routes = 100000;
  /// The largest network frame (BASP payload) a connection may announce;
  /// beyond, the connection is closed before the frame is read. 0 means
  /// `max_batch_bytes` + 1 MiB (the default `max_payload`) + 1 MiB of
  /// headroom; the daemon sets it from its largest `max_payload`.
  uint64_t max_frame = 0;
  /// Who may do what through this node's front door (see
  /// docs/security.md). Empty: everyone may call every route and join.
  /// Rules name identities, which only TLS gives: without `tls`, any rule
  /// denies everything to everyone remote.
  std::vector<core::access_rule> allow;
  /// The custom types (as named to `add_message_type`) that this node's
  /// routes take or return across the mesh. A connection is closed when a
  /// peer sends a type outside the builtin allowlist (docs/security.md)
  /// and this list; each name also allows `std::vector<name>`. A name that
  /// is empty, longer than 243 bytes, holds "@<>" or '+', or is a CAF
  /// builtin name makes the mesh constructor throw std::invalid_argument.
  std::vector<std::string> custom_types;
  /// Protected mode is off: `listen` accepts a non-loopback address
  /// without `tls`. Default false.
  bool insecure = false;
  /// Receives one line per state change (peer up, down, unreachable,
  /// route reachable or gone) and per refused party. Default: standard
  /// error, prefixed "mesh: ".
  std::function<void(const std::string&)> log;
};

/// A peer as `mesh::peers` reports it.
struct peer_info {
  /// The peer's node name; empty while never connected.
  std::string name;
  /// `HOST:PORT` for peers this node connects to; empty for peers that
  /// connected to this node.
  std::string address;
  bool connected = false;
  /// Why the last attempt failed, for peers not connected.
  std::string last_error;
};

/// Loads what a meshed actor system needs into `cfg`: the middleman, the
/// message types that cross the network and, if `tls` is given, the TLS
/// files (the node's own transport does TLS; see docs/security.md). Call
/// before constructing the system.
///
/// It also picks CAF's scheduler when `cfg` names none: if
/// `scheduler.policy` is not in `cfg.content`, it sets it to `sharing`
/// (idle threads block and wake as soon as work arrives; CAF's default,
/// `stealing`, polls with 50 us sleeps, which made a lone call's round
/// trip up to 1.9 times as long; docs/mesh.md, "Which scheduler"). A
/// policy already there (from `cfg.set`, or a config file or command line
/// parsed before this call) stays; one set or parsed after this call
/// replaces `sharing`. To keep CAF's default, set `scheduler.policy` to
/// `stealing` yourself. Nothing else of the scheduler changes (threads,
/// throughput, the `work-stealing.*` settings).
void configure_mesh(caf::actor_system_config& cfg,
                    const tls_files* tls = nullptr);

namespace detail {
struct mesh_shared;
} // namespace detail

/// Joins a router to a mesh: other nodes can call its routes by name, and
/// its callers can call theirs.
///
/// A router with a mesh forwards a call for a route it does not serve to a
/// peer that can reach one (local routes first; several peers share the
/// load), and answers `node_down` at once for requests in flight on a link
/// that fails. Routes are advertised on connect and on every change.
/// See docs/mesh.md.
class mesh {
public:
  /// Attaches a mesh to the router `r`. The router must outlive the mesh.
  mesh(router_ref r, mesh_options opts);

  /// Disconnects from every peer (their routes leave this router).
  ~mesh();

  mesh(const mesh&) = delete;
  mesh& operator=(const mesh&) = delete;

  /// Accepts peers (and CLI clients) on `host:port` (port 0 picks one).
  /// Returns the port. What the network sees is the node's front door,
  /// never the registry: calls, route listings and mesh handshakes, as the
  /// access rules allow; anything else gets `forbidden`. Without TLS a
  /// non-loopback `host` is refused (`forbidden`) unless `insecure`.
  caf::expected<uint16_t> listen(uint16_t port,
                                 const std::string& host = "127.0.0.1");

  /// The actor `listen` publishes (for tests and embedders that publish
  /// it themselves).
  caf::actor front_door() const;

  /// Connects to a peer and keeps it connected: a failed attempt or a lost
  /// link is retried with backoff for as long as the mesh lives.
  void connect(const std::string& host, uint16_t port);

  /// The peers, sorted by name then address.
  std::vector<peer_info> peers() const;

  /// What went over the links to each peer: one entry per peer name that
  /// ever connected (up or not) and per configured peer that never did,
  /// sorted by name then address (see `core::peer_stats`). Reads counters
  /// the links and the transport keep (no message, any thread); a node
  /// answers the same to `(sb_pstats)`. See docs/operations.md.
  std::vector<core::peer_stats> peer_stats() const;

  /// Waits at most `timeout` until at least `n` peers are connected.
  bool wait_for_peers(size_t n, caf::timespan timeout) const;

  /// Waits at most `timeout` until `route` is reachable through a peer.
  bool wait_for_route(const std::string& route, caf::timespan timeout) const;

  const std::string& name() const;

private:
  router_ref router_;
  std::shared_ptr<detail::mesh_shared> shared_;
  caf::actor actor_;
  caf::actor front_door_;
  /// The node's transport (a middleman actor) and who its TLS peers are.
  caf::actor transport_;
  std::shared_ptr<void> identities_;
  bool tls_ = false;
  bool insecure_ = false;
};

/// Raises this process's soft file-descriptor limit to its hard limit (a
/// node holds one per connection); returns whether the limit is now the
/// hard one. The daemon calls it at start.
bool raise_fd_limit();

} // namespace switchboard
