#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/io/middleman_actor.hpp>
#include <caf/timespan.hpp>

#include "switchboard/detail/fd_rotation.hpp"
#include "switchboard/detail/frame_guard.hpp"
#include "switchboard/detail/identity_table.hpp"
#include "switchboard/detail/traffic_table.hpp"
#include "switchboard/mesh.hpp"

namespace switchboard::detail {

/// How the node's transport treats its connections.
struct transport_options {
  /// Largest BASP payload one frame may announce, in bytes. A connection
  /// whose next header announces more is closed before CAF reads that header.
  uint64_t max_frame = uint64_t{16} * 1024 * 1024;

  /// When set, every connection is TLS with mutual authentication against
  /// `tls->ca`; otherwise plain TCP.
  std::optional<tls_files> tls;

  /// Receives one line for each refused connection (oversized frame,
  /// identity conflict) and once per listener for an exhausted fd table.
  /// Called on CAF's multiplexer thread; may be empty.
  std::function<void(const std::string&)> log;

  /// Diagnostics hook: called on the multiplexer thread with the fd number
  /// of each accepted connection, which is also its CAF connection handle id.
  /// May be empty.
  std::function<void(int)> on_accept;

  /// When set, every connection counts the bytes it reads and writes and
  /// attaches its counters here under the node id of its BASP handshake
  /// (see `traffic_table`).
  std::shared_ptr<traffic_table> traffic;

  /// Custom type names peers may send besides the builtin allowlist
  /// (`frame_guard::custom_types`); null: none.
  std::shared_ptr<const frame_guard::custom_types> custom_types;
};

/// Spawns the node's transport: an actor speaking CAF's `middleman_actor`
/// protocol (`publish_atom`, `open_atom`, `connect_atom`, `unpublish_atom`,
/// `close_atom`, ...) whose connections, dialled and accepted, go through
/// the transport instead of CAF's plain TCP middleman actor or caf::openssl.
///
/// Every connection:
/// - is closed as soon as a BASP header announces a payload above
///   `opts.max_frame`, before CAF's BASP broker sees the header (logged once,
///   naming the peer and the size);
/// - gets a fresh fd number (`rotate_fd`), so CAF never reuses the handle of
///   a connection it is still cleaning up;
/// - with `opts.traffic`, counts its BASP bytes each way (before TLS) and
///   attaches the counts under the node id its BASP handshake names;
/// - with `opts.tls`, runs TLS with mutual authentication (a peer without a
///   certificate from the CA fails the handshake) and binds the peer's
///   node id, taken from its BASP handshake, to its certificate's subject
///   commonName in `ids`; a node id already bound to another subject closes
///   the connection. The binding goes away when the connection closes.
/// Listeners survive fd exhaustion without spinning (`spare_fd`).
///
/// It neither authorizes messages nor bounds the number of connections, and
/// dials with CAF's blocking connect inside the actor: callers need their own
/// deadline (`transport_remote_actor` has one). It does not need
/// caf::openssl::manager, and uses only `sys.middleman()`, which must be
/// loaded. It stops when CAF's own middleman actor does (at actor system
/// shutdown) or on an exit message. Fails when the TLS files cannot be
/// loaded.
caf::expected<caf::io::middleman_actor>
spawn_transport(caf::actor_system& sys, transport_options opts,
                std::shared_ptr<identity_table> ids);

/// Publishes `whom` on `host`:`port` through `transport` (port 0 picks a
/// free one) and returns the port, like `caf::io::middleman::publish`.
/// Blocks the calling thread until the transport answers.
caf::expected<uint16_t>
transport_publish(caf::actor_system& sys,
                  const caf::io::middleman_actor& transport, caf::actor whom,
                  uint16_t port, const std::string& host, bool reuse = false);

/// Connects to the actor published at `host`:`port` through `transport`,
/// like `caf::io::middleman::remote_actor`, waiting at most `timeout` for
/// the connect and the whole BASP handshake (a peer that accepts and never
/// speaks gives `sec::request_timeout`). Blocks the calling thread.
///
/// A timed-out connect stays pending inside the transport; another call for
/// the same endpoint joins it, and also times out, until the peer answers or
/// the connection fails.
caf::expected<caf::actor> transport_remote_actor(
  caf::actor_system& sys, const caf::io::middleman_actor& transport,
  const std::string& host, uint16_t port, caf::timespan timeout);

} // namespace switchboard::detail
