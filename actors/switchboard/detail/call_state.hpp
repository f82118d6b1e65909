#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include <caf/error.hpp>
#include <caf/fwd.hpp>

#include "switchboard/call.hpp"
#include "switchboard/core/name_pool.hpp"
#include "switchboard/core/pending_table.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/route_handle.hpp"

namespace switchboard::detail {

/// The calling side of one actor: its outstanding calls and their
/// deadlines.
///
/// Created on an actor's first call and held by the default handler the
/// library installs then: replies `(sb_reply, id, message | error)` and
/// deadline ticks `(sb_tick, ns)` reach it there, and every other message
/// goes on to the actor's previous handler. Found again in that handler
/// (no table, no lock); closed when the actor terminates. Runs only in its
/// actor's context.
class call_state {
public:
  using clock = std::chrono::steady_clock;

  explicit call_state(caf::scheduled_actor* self);

  /// Returns the state of `self`, creating it (and installing the default
  /// handler) on first use.
  static call_state& of(caf::scheduled_actor* self);

  /// Registers a call to `route` with deadline `now + timeout`; returns
  /// its id.
  uint64_t add(pending_call&& pc, const std::string& route,
               clock::time_point now, clock::duration timeout);

  /// Answers call `id` with `err` through the mailbox (never inline, so a
  /// continuation never runs inside the `then` that issued it).
  void fail_later(uint64_t id, caf::error err);

  /// Handles a reply or tick; returns false for any other message.
  bool handle(caf::message_view& x);

  /// Where a call by name goes, from the directory `core` publishes
  /// (cached per version): a handle of the local route, else the links
  /// towards peers serving it (mesh), else neither (the registry answers).
  struct destination {
    route_handle* local = nullptr;
    const remote_route* remote = nullptr;
  };

  destination lookup(const router_core& core, const std::string& route);

  /// Called when the actor terminates: drops every pending call.
  void close();

  /// False once `close` ran (the actor terminates).
  bool alive = true;

private:
  void on_value(uint64_t id, caf::message& value);

  void on_error(uint64_t id, caf::error& err);

  void on_tick(int64_t at);

  void schedule_tick(clock::time_point at);

  void refresh(const router_core& core);

  caf::scheduled_actor* self_;
  core::pending_table<pending_call> calls_;
  /// The routes of `calls_`, which hold an id each.
  core::name_pool routes_;
  std::optional<clock::time_point> tick_at_;
  std::shared_ptr<directory_cell> dir_owner_;
  std::shared_ptr<const directory> dir_;
  std::shared_ptr<const remote_routes> remote_;
  uint64_t dir_version_ = UINT64_MAX;
  /// A handle per local route this actor called by name since the
  /// directory last changed (each caches its route's pool snapshot); at
  /// most one per route of the directory.
  std::unordered_map<std::string, route_handle> handles_;
  /// The entry of `handles_` found last (nodes do not move): a caller
  /// usually calls one route many times, and a string compare is cheaper
  /// than hashing the name. Null when `handles_` was cleared.
  std::pair<const std::string, route_handle>* last_handle_ = nullptr;
};

} // namespace switchboard::detail
