#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <caf/node_id.hpp>

namespace switchboard::detail {

/// Bytes one connection read and wrote, BASP bytes as the transport saw
/// them (before TLS). Single writer: the multiplexer thread that does the
/// connection's reads and writes adds with a relaxed load and store (no
/// locked instruction); anyone may read.
struct connection_bytes {
  std::atomic<uint64_t> in{0};
  std::atomic<uint64_t> out{0};

  void add_in(uint64_t n) noexcept {
    in.store(in.load(std::memory_order_relaxed) + n,
             std::memory_order_relaxed);
  }

  void add_out(uint64_t n) noexcept {
    out.store(out.load(std::memory_order_relaxed) + n,
              std::memory_order_relaxed);
  }
};

/// Bytes each way, as `traffic_table` sums them.
struct byte_totals {
  uint64_t in = 0;
  uint64_t out = 0;
};

/// Attributes the bytes of the transport's connections to peer names.
///
/// The transport attaches a connection under the CAF node id its BASP
/// handshake names and detaches it when the connection closes; the mesh
/// claims a node id for a peer name while a link to that node is up. A
/// peer's bytes are those of every connection to a node claimed under its
/// name, from each connection's first byte (handshake included): the live
/// connections' counters plus what closed connections left behind. A
/// connection that closes while its node is not claimed leaves nothing (a
/// CLI client, a refused peer), so the table holds only live connections,
/// claimed nodes and one total per peer name.
///
/// It does not count bytes itself (`connection_bytes` does) and does not
/// know connections that never completed a BASP handshake. Thread-safe:
/// all members lock; none is on a read or write path.
class traffic_table {
public:
  /// Adds the live connection `conn` (owned by the caller, which must
  /// `detach` it before destroying it) under `node`.
  void attach(const caf::node_id& node, const connection_bytes* conn);

  /// Removes `conn`; its bytes go to the peer name `node` is claimed for,
  /// if any.
  void detach(const caf::node_id& node, const connection_bytes* conn);

  /// Counts the connections to `node` (live and future) for peer `name`,
  /// until as many `release`s as claims. A node is only ever claimed for
  /// one name: a claim naming another one changes nothing.
  void claim(const caf::node_id& node, const std::string& name);

  /// Undoes one `claim`. The node's live connections still count for the
  /// name until they close.
  void release(const caf::node_id& node);

  /// The bytes of peer `name` so far.
  byte_totals bytes_of(const std::string& name) const;

  /// Number of node ids the table tracks (live connections or claimed).
  size_t nodes() const;

private:
  struct node_entry {
    std::vector<const connection_bytes*> live;
    std::string name;
    size_t claims = 0;
  };

  /// Drops `i` once nothing refers to it any more.
  void prune(std::map<caf::node_id, node_entry>::iterator i);

  mutable std::mutex mtx_;
  std::map<caf::node_id, node_entry> nodes_;
  /// Bytes of closed connections, per peer name.
  std::map<std::string, byte_totals> closed_;
};

} // namespace switchboard::detail
