#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/behavior.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

#include "switchboard/core/route_options.hpp"
#include "switchboard/detail/route_state.hpp"

namespace switchboard::detail {

/// Collects the replies of one broadcast call and answers the caller.
struct gather_state {
  reply_target to;
  core::broadcast_reply mode = core::broadcast_reply::all;
  std::string route;
  std::vector<std::optional<caf::message>> replies;
  size_t missing = 0;
  caf::error last_error;

  static constexpr const char* name = "switchboard.gather";
};

/// Lives for one broadcast call: `n` workers answer `(sb_reply, i+1, ...)`.
/// In `all` mode the caller gets one `std::vector<caf::message>` in pool
/// order (a failed worker's entry holds its `caf::error`); in `first` mode
/// the first value, or the last error if every worker failed. It keeps no
/// timer: every worker answers every envelope exactly once (at the latest
/// with `timeout` at the deadline, or `worker_down`), so the gatherer
/// always completes and stops; the caller's own deadline covers the
/// caller.
caf::behavior gather_actor(caf::stateful_actor<gather_state>* self,
                           reply_target to, size_t n,
                           core::broadcast_reply mode, std::string route);

} // namespace switchboard::detail
