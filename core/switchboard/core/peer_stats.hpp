#pragma once

#include <cstdint>
#include <string>

namespace switchboard::core {

/// What went over the link(s) to one peer since this node first connected
/// to it: one entry per peer node name, summed over every link that peer
/// had (reconnects included), so counts never go down while the node runs.
///
/// Calls and replies are what the links sent and took as `wire_request`s
/// and `wire_reply`s (a relayed call counts on each link it crosses).
/// Bytes are BASP bytes of the connections to the peer's CAF node, as the
/// transport read and wrote them: frame headers, handshakes, heartbeats and
/// advertisements included, TLS records and TCP/IP headers not. It does
/// not say anything about calls to the peer that never left this node
/// (refused before the link took them).
struct peer_stats {
  /// The peer's node name; empty for a configured peer that never
  /// connected.
  std::string name;
  /// `HOST:PORT` for a peer this node dials; empty for one that dialled in.
  std::string address;
  /// Whether a link to the peer is up now.
  bool up = false;
  /// How often a link to the peer came up (handshake completed).
  uint64_t connects = 0;
  /// Requests sent to the peer / received from it.
  uint64_t calls_out = 0;
  uint64_t calls_in = 0;
  /// Replies sent to the peer / received from it.
  uint64_t replies_out = 0;
  uint64_t replies_in = 0;
  /// Bytes written to / read from the peer's connections.
  uint64_t bytes_out = 0;
  uint64_t bytes_in = 0;
};

/// Lets CAF serialize peer_stats (for `(sb_pstats)` across the network).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, peer_stats& x) {
  return f(x.name, x.address, x.up, x.connects, x.calls_out, x.calls_in,
           x.replies_out, x.replies_in, x.bytes_out, x.bytes_in);
}

} // namespace switchboard::core
