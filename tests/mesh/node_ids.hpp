#pragma once

// Made-up CAF node ids for tables keyed by node (no actor system needed).

#include <cstdint>

#include <caf/node_id.hpp>

namespace switchboard::test {

/// A node id that differs for each `tag`.
inline caf::node_id make_node(uint8_t tag) {
  caf::node_id::default_data::host_id_type host{};
  host.fill(tag);
  return caf::make_node_id(1000u + tag, host);
}

} // namespace switchboard::test
