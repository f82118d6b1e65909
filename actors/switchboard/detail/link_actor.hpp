#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/event_based_actor.hpp>

#include "switchboard/core/mesh_table.hpp"
#include "switchboard/core/pending_table.hpp"
#include "switchboard/detail/link_counters.hpp"
#include "switchboard/detail/link_gate.hpp"
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
  /// Where the link counts the calls and replies it sends and takes (the
  /// link is their only writer). Null: a fresh set of its own.
  std::shared_ptr<link_counters> counters;
  /// This node's calls in flight on the link (see `link_gate`): the link
  /// sets the limit its peer announces and gives back each call's slot.
  /// Null: a gate of its own.
  std::shared_ptr<link_gate> gate;
};

/// This node's end of the connection to one peer. Both ends are links:
/// calls flow both ways.
///
/// Outgoing: a caller (or the registry) sends a `call_envelope` for a route
/// the peer reaches, keeping the caller as sender, after taking a slot in
/// the link's `gate` (`dispatch_remote`). The link keeps the caller in a
/// pending table, sends the call to the peer and answers the caller when
/// the peer's reply comes back, or with `node_down` the moment the link
/// fails (the far end stops, the connection breaks, or the peer is silent
/// for `peer_timeout`). Every call it takes gives its slot back exactly
/// once: when it leaves the pending table, or if it never enters it.
///
/// Incoming: calls from the peer go to the local registry as envelopes
/// from this link; their replies go back to the peer.
///
/// Batching: requests and replies queue up while the link works through
/// its mailbox and leave in one network message when the mailbox is done
/// (a self-sent flush), when `max_batch` is reached, or before their
/// payloads pass `max_batch_bytes`, so a busy link carries many calls per
/// message and an idle one adds no delay.
///
/// Limits on the peer: at most `link_max_in_flight` of its calls run on
/// this node at once (beyond, `overloaded` at once). The link tells the
/// peer this limit (`sb_limits`) so that the peer refuses its own callers
/// beyond it, and enforces it whatever the peer does. An advertisement of
/// more than `max_advert_routes` routes closes the link; advertisements
/// reach the mesh actor at most every 50 ms (only the latest pending one:
/// each is the peer's full state). A peer may send only requests, replies,
/// advertisements, pings and its limit: every other message is taken only
/// from actors of this node.
class link_actor : public caf::event_based_actor {
public:
  using clock = std::chrono::steady_clock;

  link_actor(caf::actor_config& cfg, link_config lc);

  caf::behavior make_behavior() override;

  /// Drops exit messages from other nodes before CAF sees them (the peer
  /// learns this actor's handle; only this node may stop it). Down
  /// messages from the peer's node are how a lost peer shows: they pass.
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override;

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

  /// Whether the current message comes from an actor of this node (remote
  /// peers may only send requests, replies, adverts, pings and limits).
  bool local_sender() const;
  void set_peer(std::string name, caf::actor peer);
  /// Tells the peer this node's `link_max_in_flight` (once, first thing).
  void announce_limits();
  void take_advert(std::vector<core::advert>& xs);
  void forward_advert();
  /// Flushes first if `bytes` more would pass `max_batch_bytes`.
  void make_room(size_t bytes, size_t queued_bytes);
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
  /// Payload bytes in `out_requests_` and `out_replies_`.
  size_t out_request_bytes_ = 0;
  size_t out_reply_bytes_ = 0;
  /// The peer's calls taken and not yet answered.
  int64_t peer_in_flight_ = 0;
  /// The latest advertisement not yet passed to the mesh, and when the
  /// last one went.
  std::optional<std::vector<core::advert>> pending_advert_;
  caf::actor_clock::time_point advert_sent_
    = caf::actor_clock::time_point::min();
  bool advert_timer_ = false;
  bool flush_scheduled_ = false;
  clock::time_point last_received_;
  clock::time_point last_sent_;
  std::string down_reason_;
};

} // namespace switchboard::detail
