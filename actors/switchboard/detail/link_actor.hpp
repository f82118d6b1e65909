#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/event_based_actor.hpp>

#include "switchboard/core/pending_table.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/detail/route_state.hpp"

namespace switchboard::detail {

/// What a link needs to know when it starts.
struct link_config {
  std::string self_name;
  /// The peer's node name and its side of the link; both may be unknown
  /// (empty / null) until the handshake completes (`sb_peer`).
  std::string peer_name;
  caf::actor peer;
  caf::actor registry;
  /// The router's published routes, local and remote: calls from the peer
  /// go straight to a worker or to the next link when they can.
  std::shared_ptr<directory_cell> dir;
  caf::actor mesh;
  caf::timespan heartbeat;
  caf::timespan peer_timeout;
  size_t max_batch = 1024;
  size_t max_batch_bytes = 4 * 1024 * 1024;
  int64_t link_max_in_flight = 10000;
  size_t max_advert_routes = 100000;
};

/// This node's end of the connection to one peer. Both ends are links:
/// calls flow both ways.
///
/// Outgoing: the registry forwards `(sb_env, ...)` for a route the peer
/// reaches, keeping the caller as sender. The link keeps the caller in a
/// pending table, sends the call to the peer and answers the caller when
/// the peer's reply comes back, or with `node_down` the moment the link
/// fails (the far end stops, the connection breaks, or the peer is silent
/// for `peer_timeout`).
///
/// Incoming: calls from the peer go to the local registry as envelopes
/// from this link; their replies go back to the peer.
///
/// Batching: requests and replies queue up while the link works through
/// its mailbox and leave in one network message when the mailbox is done
/// (a self-sent flush) or `max_batch` is reached, so a busy link carries
/// many calls per message and an idle one adds no delay.
class link_actor : public caf::event_based_actor {
public:
  using clock = std::chrono::steady_clock;

  link_actor(caf::actor_config& cfg, link_config lc);

  caf::behavior make_behavior() override;

  void on_exit() override;

  const char* name() const override;

private:
  struct outgoing {
    reply_target to;
    std::string route;
    /// The caller is another link of this node, which relayed the call and
    /// takes its answer in a batch (`sb_relrep`).
    bool relayed = false;
  };

  void set_peer(std::string name, caf::actor peer);
  void send_call(reply_target to, int64_t sent_at, int64_t timeout,
                 std::string route, caf::message args);
  /// Registers an outgoing call; returns its id, or 0 (after answering
  /// `to`) if its deadline already passed.
  uint64_t add_pending(outgoing call, int64_t sent_at, int64_t timeout,
                       int64_t& left);
  void relay_calls(std::vector<wire_request>& xs);
  void take_replies(std::vector<wire_reply>& xs);
  void take_requests(std::vector<wire_request>& xs);
  void reply_to_peer(wire_reply x);
  void schedule_flush();
  void flush();
  void on_tick();
  /// Fails everything in flight with `node_down` and stops.
  void go_down(const std::string& why);
  caf::error node_down(const std::string& route) const;

  /// Sends one call from the peer on its way (see link_config::dir); a call
  /// for a route further away joins the batch for its next link in
  /// `relays`.
  void dispatch(wire_request& x, int64_t now,
                std::vector<std::pair<caf::actor, std::vector<wire_request>>>&
                  relays);

  link_config cfg_;
  std::shared_ptr<const directory> local_;
  std::shared_ptr<const remote_routes> remote_;
  uint64_t dir_version_ = UINT64_MAX;
  core::pending_table<outgoing> pending_;
  std::vector<wire_request> out_requests_;
  std::vector<wire_reply> out_replies_;
  bool flush_scheduled_ = false;
  clock::time_point last_received_;
  clock::time_point last_sent_;
  std::string down_reason_;
};

} // namespace switchboard::detail
