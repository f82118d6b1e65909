#pragma once

#include <memory>

#include <caf/actor.hpp>

#include "switchboard/invoker.hpp"

namespace switchboard::detail {

/// The invoker of a worker that fronts an existing actor: sends each
/// request's arguments to the member as a plain CAF request and delivers
/// its response. The worker monitors the member and dies with it, so
/// requests it held get `worker_down` at once.
std::unique_ptr<invoker> make_member_invoker(caf::actor member);

} // namespace switchboard::detail
