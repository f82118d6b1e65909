#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/node_id.hpp>
#include <caf/response_promise.hpp>
#include <caf/stateful_actor.hpp>

#include "switchboard/core/access_policy.hpp"
#include "switchboard/core/peer_stats.hpp"

namespace switchboard::detail {

/// Tells who is behind a CAF node: the subject name of the certificate its
/// connection presented, or nothing (plain TCP, or no such connection).
using identify_fn
  = std::function<std::optional<std::string>(const caf::node_id&)>;

/// What a front door needs.
struct front_door_config {
  /// Where calls and route listings go.
  caf::actor registry;
  /// Where mesh handshakes go.
  caf::actor mesh;
  /// Who may call what and join the mesh.
  std::shared_ptr<const core::access_policy> policy;
  /// Empty without TLS: no party has an identity.
  identify_fn identify;
  /// Under TLS a peer must join under its certificate's name.
  bool tls = false;
  /// One line per refusal (rate-limited by the front door).
  std::function<void(const std::string&)> log;
  /// The node's peers' metrics, for `(sb_pstats)`; empty: none.
  std::function<std::vector<core::peer_stats>()> peer_stats;
};

/// The front door's state.
struct front_door_state {
  front_door_config cfg;
  /// Calls forwarded to the registry, by the front door's call id.
  std::unordered_map<uint64_t, caf::response_promise> calls;
  uint64_t next_id = 1;
  /// Refusals already logged, per peer node and kind (bounded).
  std::set<std::pair<std::string, std::string>> logged;
  bool log_full = false;

  static constexpr const char* name = "switchboard.front_door";
};

/// The one actor a node publishes: its whole protocol is what a remote
/// party may do.
///
/// - `(sb_call, route, args...)` request -> the route's reply or error,
///   if the caller's identity may call the route (else `forbidden`)
/// - `(sb_list)` request -> `std::vector<core::route_info>`, and
///   `(sb_stats)` request -> `std::vector<core::route_stats>`, and
///   `(sb_pstats)` request -> `std::vector<core::peer_stats>`, for callers
///   some access rule names (everyone without rules)
/// - `(sb_hello, name, link)` request -> `(name, link)`: join the mesh, if
///   the caller may peer and (under TLS) `name` is its certificate's name
/// - `(sb_ping)` request -> `(sb_ping)`: a probe that a new connection
///   carries replies (idempotent; clients send it before their call)
///
/// Anything else gets `forbidden` (a request) or is dropped (a plain
/// message), and one log line per peer and kind. Every reply comes from the
/// front door itself: no internal actor (registry, worker, mesh) is ever
/// revealed to the network. Exit and down messages from other nodes are
/// ignored. It does not authenticate anyone: the transport does (TLS), and
/// `identify` reports what it found.
class front_door_actor : public caf::stateful_actor<front_door_state> {
public:
  front_door_actor(caf::actor_config& cfg, front_door_config fdc);

  /// Drops exit and down messages from other nodes before CAF sees them.
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* eu) override;

  caf::behavior make_behavior() override;
};

} // namespace switchboard::detail
