#pragma once

#include <caf/mailbox_element.hpp>
#include <caf/node_id.hpp>
#include <caf/system_messages.hpp>

namespace switchboard::detail {

/// Whether `x` did not come from the node `self` runs on (a message with no
/// sender may come from anywhere: it counts as remote).
inline bool from_other_node(const caf::mailbox_element& x,
                            const caf::node_id& self) {
  return x.sender == nullptr || x.sender->node() != self;
}

/// Whether `x` is an exit message from another node. Actors the network
/// can address (the front door, mesh links) drop such messages in
/// `enqueue`, before CAF acts on them: in CAF 0.17 an exit message with
/// reason `kill` ends any actor, exit handler or not.
inline bool is_remote_exit(const caf::mailbox_element& x,
                           const caf::node_id& self) {
  return x.content().match_elements<caf::exit_msg>()
         && from_other_node(x, self);
}

/// Whether `x` is a down message from another node (which could name any
/// local actor as the one that went down).
inline bool is_remote_down(const caf::mailbox_element& x,
                           const caf::node_id& self) {
  return x.content().match_elements<caf::down_msg>()
         && from_other_node(x, self);
}

} // namespace switchboard::detail
