#pragma once

#include <caf/mailbox_element.hpp>
#include <caf/node_id.hpp>
#include <caf/system_messages.hpp>

namespace switchboard::detail {

/// Whether `x` is an exit or down message that did not come from the node
/// `self` runs on. Actors the network can address (the front door, mesh
/// links) drop such messages in `enqueue`, before CAF acts on them: in CAF
/// 0.17 an exit message with reason `kill` ends any actor, exit handler or
/// not, and a forged down message could name any local actor.
inline bool is_remote_control(const caf::mailbox_element& x,
                              const caf::node_id& self) {
  auto& msg = x.content();
  if (!msg.match_elements<caf::exit_msg>()
      && !msg.match_elements<caf::down_msg>())
    return false;
  return x.sender == nullptr || x.sender->node() != self;
}

} // namespace switchboard::detail
