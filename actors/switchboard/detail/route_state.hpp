#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>

#include "switchboard/core/policy.hpp"
#include "switchboard/core/restart_budget.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/core/route_metrics.hpp"
#include "switchboard/core/route_options.hpp"
#include "switchboard/core/worker_load.hpp"
#include "switchboard/detail/envelope.hpp"
#include "switchboard/detail/remote_routes.hpp"
#include "switchboard/handler.hpp"

namespace switchboard::detail {

/// One member of a route's pool.
struct worker_slot {
  caf::actor handle;
  std::shared_ptr<core::worker_load> load;
};

/// An immutable snapshot of a route's pool; replaced whole when a worker
/// is restarted or leaves.
struct pool {
  std::vector<worker_slot> workers;
  std::vector<const core::worker_load*> loads;
  /// The final counts of the workers that left the pool (null: none).
  /// Swapped with the pool, so a reader never counts a worker twice or not
  /// at all, and the route's totals never go down.
  std::shared_ptr<const core::route_stats> retired;

  explicit pool(std::vector<worker_slot> xs,
                std::shared_ptr<const core::route_stats> retired = nullptr);

  core::pool_view view() const noexcept {
    return {loads.data(), loads.size()};
  }
};

/// Why a route stopped taking calls.
enum class route_status : uint8_t { open, removed, shutting_down };

/// The live state of one route, shared by the registry (owner), its
/// workers and every route handle.
///
/// The registry is the only writer of the pool, the status and the
/// successor. Dispatchers on any thread read the pool snapshot and count
/// requests in `in_flight`; workers count them out. Once closed, a route
/// whose `in_flight` reaches zero tells the registry, which then retires
/// the workers: requests admitted before the close always finish.
class route_state {
public:
  route_state(std::string name, core::route_options options, handler spec,
              caf::actor_addr registry);

  const uint64_t uid;
  const std::string name;
  const core::route_options options;
  const handler spec;
  const std::unique_ptr<core::policy> policy;
  const caf::actor_addr registry;

  /// Requests admitted and not yet answered (one per worker message).
  std::atomic<int64_t> in_flight{0};

  /// Worker restarts since the route was added.
  std::atomic<uint64_t> restarts{0};

  /// Registry-only: the supervision budget.
  core::restart_budget budget;

  route_status status() const noexcept {
    return status_.load(std::memory_order_seq_cst);
  }

  /// Registry-only: stops admission. `successor` (may be null) is where
  /// handles go from now on.
  void close(route_status why, std::shared_ptr<route_state> successor);

  /// The route that replaced this one, if any.
  std::shared_ptr<route_state> successor() const;

  /// The current pool. Thread-safe.
  std::shared_ptr<const pool> snapshot() const;

  /// Registry-only: the current pool without the atomic load (the registry
  /// is the only writer, so its own reads need no synchronization).
  const pool& owner_pool() const noexcept {
    return *pool_;
  }

  /// Bumped on every `publish`; lets holders of a snapshot skip reloading.
  uint64_t version() const noexcept {
    return version_.load(std::memory_order_acquire);
  }

  /// Registry-only: installs a new pool.
  void publish(std::shared_ptr<const pool> next);

  /// Counts one answered request out; tells the registry when a closed
  /// route has drained. Called by workers (and by dispatchers that back
  /// out of an admission).
  void release(int64_t n = 1);

  /// Counts `n` answered requests out without telling the registry;
  /// returns whether that drained a closed route, in which case the caller
  /// calls `report_drained` (a worker does so after sending its reply: the
  /// registry may stop the node once every route drained).
  [[nodiscard]] bool count_out(int64_t n = 1);

  /// Tells the registry that this closed route has drained.
  void report_drained();

  /// A snapshot for `list` and watchers.
  core::route_info info() const;

  /// The route's metrics: its workers' counts (live and retired) plus
  /// the requests refused before reaching a worker. Thread-safe.
  core::route_stats stats() const;

  /// Counts a request refused before any worker took it (`err` carries a
  /// switchboard code). Any thread.
  void count_refusal(const caf::error& err) noexcept;

private:
  std::atomic<route_status> status_{route_status::open};
  /// Refusals at admission, by outcome; any dispatcher thread writes.
  std::atomic<uint64_t> refused_[core::outcome_count] = {};
  std::atomic<uint64_t> version_{0};
  std::shared_ptr<const pool> pool_;
  std::shared_ptr<route_state> successor_;
};

using route_ptr = std::shared_ptr<route_state>;

/// The published name -> route map that `resolve` and callers read without
/// asking the registry. Replaced whole by the registry on every change.
using directory = std::unordered_map<std::string, route_ptr>;

/// The metrics of every route of `dir`, sorted by name.
std::vector<core::route_stats> stats_of(const directory& dir);

/// Holds the current directory; shared by the router and its registry.
class directory_cell {
public:
  std::shared_ptr<const directory> load() const;

  void store(std::shared_ptr<const directory> next);

  /// The routes peers serve (mesh), published next to the local ones so
  /// callers and links can go straight to a link. The mesh actor stores
  /// them before it tells anyone (the registry, the log) about a change.
  std::shared_ptr<const remote_routes> load_remote() const;

  /// Ignored once `close_remote` ran.
  void store_remote(std::shared_ptr<const remote_routes> next);

  /// The router stops: no remote route from now on.
  void close_remote();

  uint64_t version() const noexcept {
    return version_.load(std::memory_order_acquire);
  }

private:
  std::shared_ptr<const directory> current_ = std::make_shared<directory>();
  std::shared_ptr<const remote_routes> remote_
    = std::make_shared<remote_routes>();
  std::atomic<bool> remote_closed_{false};
  std::atomic<uint64_t> version_{0};
};

/// Where and how a worker sends the reply of one request.
struct reply_target {
  caf::strong_actor_ptr caller;
  caf::message_id mid;
  /// The caller's id of an envelope call; 0 for a plain CAF request, which
  /// is answered as a CAF response to `mid`.
  uint64_t call_id = 0;
};

/// Sends a value or an error to `to`, in the form the caller used.
void send_reply(caf::abstract_actor* self, caf::execution_unit* ctx,
                const reply_target& to, caf::message result);

void send_reply(caf::abstract_actor* self, caf::execution_unit* ctx,
                const reply_target& to, caf::error err);

/// Builds the envelope a worker receives.
caf::message make_envelope(uint64_t call_id, int64_t sent_at_ns,
                           int64_t timeout_ns, std::string route,
                           caf::message args);

/// Extracts the consistent_hash key (argument `index`) of a request.
uint64_t routing_key(const caf::message& args, size_t index);

/// The payload size of a call's arguments, in bytes, as `max_payload`
/// counts it (docs/semantics.md): the bytes of every `std::string`,
/// `std::vector<char>`, `std::vector<uint8_t>` and `std::vector<std::string>`
/// element, 2 (4) bytes per unit of a `std::u16string` (`std::u32string`),
/// the payload of a nested `caf::message`, and `payload_overhead` bytes for
/// every element of any other type. Reads the types in place: no
/// allocation, no copy.
uint64_t payload_size(const caf::message& args) noexcept;

/// What `payload_size` counts for an element that is not byte-like.
inline constexpr uint64_t payload_overhead = 8;

/// The outcome of admitting one request to a route.
struct admission {
  /// Set if the route refused the request (closed, no worker, full);
  /// nothing was counted then.
  caf::error err;
  /// The worker to send the envelope to; null for a fan-out route, whose
  /// request goes to every worker through `fan_out`.
  const worker_slot* slot = nullptr;
};

/// Counts one request into `route` and picks its worker from `p`.
///
/// Every call to a local route passes here, whatever its path (by name, by
/// handle, a plain `sb_call` request, a call from a peer): a payload above
/// the route's `max_payload` is refused with `bad_request` first, before
/// anything is counted.
///
/// Counting comes before the status check: the registry closes a route and
/// then waits for `in_flight` to reach zero, so a dispatcher either sees
/// the close or is counted before the registry looks. After a successful
/// admission the caller must send exactly one envelope to `slot` (or call
/// `fan_out`), whose worker counts the request out when it replies.
admission admit(route_state& route, const pool& p, const caf::message& args);

/// Sends one admitted envelope to the worker of `slot`. Returns false (and
/// counts the request out again) if the worker already stopped; the caller
/// must then answer `worker_down` itself.
bool deliver(route_state& route, const worker_slot& slot,
             caf::mailbox_element_ptr envelope, caf::execution_unit* eu);

/// The error for a request whose worker stopped before taking it (counted
/// as a refusal of `route`).
caf::error worker_gone(route_state& route);

/// Sends an admitted fan-out request to every worker of `p` through a
/// gatherer spawned from `spawner`, which answers `to`.
void fan_out(caf::local_actor* spawner, route_state& route, const pool& p,
             reply_target to, const caf::message& args, int64_t sent_at_ns,
             int64_t timeout_ns);

/// Runs a call by name on a local route: admits it to `route`'s pool `p`
/// and sends `envelope` (from `to.caller`) to a worker, or fans it out, or
/// answers `to` with why not. A `timeout` of 0 means the route's own (a
/// call from a peer); the envelope is rebuilt with it.
void dispatch_local(caf::local_actor* self, route_state& route, const pool& p,
                    const reply_target& to, const std::string& name,
                    caf::message envelope, const caf::message& args,
                    int64_t sent_at, int64_t timeout);

/// Internal, to a link of this node: `(sb_fwd, caller, mid, call_id,
/// sent_at, timeout, route, args)` is an envelope whose caller is on
/// another node (a remote client's plain request). Links take envelopes
/// only from actors of their own node, so the dispatcher sends this one
/// itself, naming the caller inside.
using forward_atom = caf::atom_constant<caf::atom("sb_fwd")>;

/// Hands a call by name to the next of the links towards peers serving it
/// (round-robin) that has a slot free under its peer's limit (see
/// `link_gate`), or answers `to` at once: `overloaded` if none has,
/// `node_down` if that link has just closed.
void dispatch_remote(caf::local_actor* self, const remote_route& route,
                     const reply_target& to,
                     const std::string& name, caf::message envelope);

/// The error a caller gets from a route that no longer takes calls.
caf::error closed_error(const route_state& route);

} // namespace switchboard::detail
