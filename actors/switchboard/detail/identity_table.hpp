#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <caf/node_id.hpp>

namespace switchboard::detail {

/// Maps the CAF node id of each peer connected over TLS to the subject
/// commonName of the certificate it authenticated with.
///
/// The transport binds a node id when a TLS connection's BASP handshake
/// names it, and unbinds it when that connection closes. A node id can be
/// bound by several connections at once, but only ever to one subject: a
/// second subject claiming the same node id is refused (the transport then
/// closes that connection).
///
/// It does not authenticate anything itself and knows nothing of plain TCP
/// peers (they have no identity). Thread-safe: all members lock.
class identity_table {
public:
  /// Binds `node` to `subject` for one more connection. Returns false, and
  /// changes nothing, when `node` is bound to a different subject.
  [[nodiscard]] bool bind(const caf::node_id& node, const std::string& subject);

  /// Releases one connection's binding of `node`; the entry goes away with
  /// the last one.
  void unbind(const caf::node_id& node);

  /// The subject `node` authenticated as, if one of its connections is open.
  std::optional<std::string> subject_of(const caf::node_id& node) const;

  /// Number of bound node ids.
  size_t size() const;

private:
  struct entry {
    std::string subject;
    size_t connections;
  };

  mutable std::mutex mtx_;
  std::map<caf::node_id, entry> entries_;
};

} // namespace switchboard::detail
