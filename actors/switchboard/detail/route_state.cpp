#include "switchboard/detail/route_state.hpp"

#include <algorithm>
#include <functional>
#include <string>
#include <typeinfo>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/local_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/make_message.hpp>
#include <caf/send.hpp>
#include <caf/type_nr.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/detail/gather_actor.hpp"
#include "switchboard/detail/worker_actor.hpp"
#include "switchboard/error.hpp"

namespace switchboard::detail {

namespace {

std::atomic<uint64_t> next_route_uid{1};

std::vector<const core::worker_load*>
loads_of(const std::vector<worker_slot>& xs) {
  std::vector<const core::worker_load*> result;
  result.reserve(xs.size());
  for (auto& x : xs)
    result.push_back(x.load.get());
  return result;
}

} // namespace

pool::pool(std::vector<worker_slot> xs,
           std::shared_ptr<const core::route_stats> retired)
  : workers(std::move(xs)), loads(loads_of(workers)), retired(std::move(retired)) {
  // nop
}

route_state::route_state(std::string name, core::route_options options,
                         handler spec, caf::actor_addr registry)
  : uid(next_route_uid.fetch_add(1)),
    name(std::move(name)),
    options(options),
    spec(std::move(spec)),
    policy(core::make_policy(options.policy)),
    registry(std::move(registry)),
    budget(options.max_restarts, std::chrono::duration_cast<
                                   core::restart_budget::clock::duration>(
                                   options.restart_window)),
    pool_(std::make_shared<pool>(std::vector<worker_slot>{})) {
  // nop
}

void route_state::close(route_status why,
                        std::shared_ptr<route_state> successor) {
  std::atomic_store(&successor_, std::move(successor));
  status_.store(why, std::memory_order_seq_cst);
}

std::shared_ptr<route_state> route_state::successor() const {
  return std::atomic_load(&successor_);
}

std::shared_ptr<const pool> route_state::snapshot() const {
  return std::atomic_load(&pool_);
}

void route_state::publish(std::shared_ptr<const pool> next) {
  std::atomic_store(&pool_, std::move(next));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

void route_state::release(int64_t n) {
  if (count_out(n))
    report_drained();
}

bool route_state::count_out(int64_t n) {
  auto left = in_flight.fetch_sub(n, std::memory_order_seq_cst) - n;
  return left == 0 && status() != route_status::open;
}

void route_state::report_drained() {
  if (auto dest = caf::actor_cast<caf::actor>(registry))
    caf::anon_send(dest, drained_atom::value, uid);
}

core::route_info route_state::info() const {
  core::route_info result;
  result.name = name;
  result.kind = spec.kind();
  result.policy = options.policy;
  result.in_flight = in_flight.load(std::memory_order_relaxed);
  result.restarts = restarts.load(std::memory_order_relaxed);
  auto p = snapshot();
  result.workers = p->workers.size();
  if (p->retired) {
    result.completed = p->retired->outcomes[core::outcome_ok];
    result.failed = p->retired->errors();
  }
  for (auto& w : p->workers) {
    result.completed += w.load->completed();
    result.failed += w.load->failed();
  }
  return result;
}

core::route_stats route_state::stats() const {
  core::route_stats result;
  result.name = name;
  result.in_flight = in_flight.load(std::memory_order_relaxed);
  result.restarts = restarts.load(std::memory_order_relaxed);
  auto p = snapshot();
  if (p->retired) {
    result.outcomes = p->retired->outcomes;
    result.buckets = p->retired->buckets;
    result.latency_sum_ns = p->retired->latency_sum_ns;
  }
  for (auto& w : p->workers)
    w.load->add_to(result);
  for (size_t i = 0; i < core::outcome_count; ++i)
    result.outcomes[i] += refused_[i].load(std::memory_order_relaxed);
  return result;
}

void route_state::count_refusal(const caf::error& err) noexcept {
  auto code = code_of(err);
  auto i = code ? core::outcome_of(*code) : core::outcome_of(
             error_code::handler_failed);
  refused_[i].fetch_add(1, std::memory_order_relaxed);
}

std::vector<core::route_stats> stats_of(const directory& dir) {
  std::vector<core::route_stats> result;
  result.reserve(dir.size());
  for (auto& [name, route] : dir)
    result.push_back(route->stats());
  std::sort(result.begin(), result.end(),
            [](const auto& x, const auto& y) { return x.name < y.name; });
  return result;
}

std::shared_ptr<const directory> directory_cell::load() const {
  return std::atomic_load(&current_);
}

void directory_cell::store(std::shared_ptr<const directory> next) {
  std::atomic_store(&current_, std::move(next));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const remote_routes> directory_cell::load_remote() const {
  return std::atomic_load(&remote_);
}

void directory_cell::store_remote(std::shared_ptr<const remote_routes> next) {
  if (remote_closed_.load())
    return;
  std::atomic_store(&remote_, std::move(next));
  version_.fetch_add(1, std::memory_order_acq_rel);
}

void directory_cell::close_remote() {
  remote_closed_.store(true);
  std::atomic_store(&remote_, std::make_shared<const remote_routes>());
  version_.fetch_add(1, std::memory_order_acq_rel);
}

namespace {

/// `(sb_reply, id, x)` for envelope calls, a CAF response for plain requests.
template <class T>
void send_reply_impl(caf::abstract_actor* self, caf::execution_unit* ctx,
                     const reply_target& to, T&& x) {
  if (!to.caller)
    return;
  caf::strong_actor_ptr sender{self->ctrl()};
  if (to.call_id != 0)
    to.caller->enqueue(caf::make_mailbox_element(std::move(sender),
                                                 caf::make_message_id(), {},
                                                 reply_atom::value, to.call_id,
                                                 std::forward<T>(x)),
                       ctx);
  else if (to.mid.is_request())
    to.caller->enqueue(caf::make_mailbox_element(std::move(sender),
                                                 to.mid.response_id(), {},
                                                 std::forward<T>(x)),
                       ctx);
}

} // namespace

void send_reply(caf::abstract_actor* self, caf::execution_unit* ctx,
                const reply_target& to, caf::message result) {
  send_reply_impl(self, ctx, to, std::move(result));
}

void send_reply(caf::abstract_actor* self, caf::execution_unit* ctx,
                const reply_target& to, caf::error err) {
  send_reply_impl(self, ctx, to, std::move(err));
}

caf::message make_envelope(uint64_t call_id, int64_t sent_at_ns,
                           int64_t timeout_ns, std::string route,
                           caf::message args) {
  return caf::make_message(call_envelope{call_id, sent_at_ns, timeout_ns,
                                         std::move(route), std::move(args)});
}

uint64_t routing_key(const caf::message& args, size_t index) {
  if (index >= args.size())
    return 0;
  if (args.match_element<std::string>(index))
    return std::hash<std::string>{}(args.get_as<std::string>(index));
  auto integral = [&](auto tag) -> std::optional<uint64_t> {
    using type = decltype(tag);
    if (args.match_element<type>(index))
      return static_cast<uint64_t>(args.get_as<type>(index));
    return std::nullopt;
  };
  for (auto x : {integral(int32_t{}), integral(int64_t{}), integral(uint32_t{}),
                 integral(uint64_t{}), integral(int16_t{}),
                 integral(uint16_t{}), integral(int8_t{}), integral(uint8_t{})})
    if (x)
      return *x;
  return std::hash<std::string>{}(args.stringify(index));
}

caf::error closed_error(const route_state& route) {
  if (route.status() == route_status::shutting_down)
    return make_error(error_code::shutting_down,
                      "route '" + route.name + "' is shutting down");
  return make_error(error_code::no_such_route,
                    "route '" + route.name + "' was removed");
}

uint64_t payload_size(const caf::message& args) noexcept {
  uint64_t result = 0;
  auto n = args.size();
  for (size_t i = 0; i < n; ++i) {
    auto [nr, info] = args.type(i);
    switch (nr) {
      case caf::type_nr<std::string>::value:
        result += args.get_as<std::string>(i).size();
        break;
      case caf::type_nr<std::vector<char>>::value:
        result += args.get_as<std::vector<char>>(i).size();
        break;
      case caf::type_nr<std::u16string>::value:
        result += 2 * args.get_as<std::u16string>(i).size();
        break;
      case caf::type_nr<std::u32string>::value:
        result += 4 * args.get_as<std::u32string>(i).size();
        break;
      case caf::type_nr<std::vector<std::string>>::value:
        for (auto& x : args.get_as<std::vector<std::string>>(i))
          result += x.size();
        break;
      case caf::type_nr<caf::message>::value:
        result += payload_size(args.get_as<caf::message>(i));
        break;
      case 0:
        if (info != nullptr && *info == typeid(std::vector<uint8_t>)) {
          result += args.get_as<std::vector<uint8_t>>(i).size();
          break;
        }
        [[fallthrough]];
      default:
        result += payload_overhead;
    }
  }
  return result;
}

namespace {

/// The refusal of a call whose payload exceeds the route's `max_payload`.
caf::error too_large(const route_state& route, uint64_t size) {
  return make_error(error_code::bad_request,
                    "route '" + route.name + "': payload of "
                      + std::to_string(size) + " bytes exceeds max_payload ("
                      + std::to_string(route.options.max_payload)
                      + " bytes)");
}

} // namespace

namespace {

/// The slot the policy chose, or, if that worker has stopped (the registry
/// has not replaced it in the pool yet), the next one after it whose worker
/// still takes messages. A killed worker thus costs the calls that chose it
/// no `worker_down` while its pool has live workers. If none has, the
/// chosen slot (whose `deliver` then fails).
size_t pick_live(const pool& p, size_t chosen) {
  auto n = p.workers.size();
  for (size_t k = 0; k < n; ++k) {
    auto i = (chosen + k) % n;
    auto worker = static_cast<caf::scheduled_actor*>(
      caf::actor_cast<caf::abstract_actor*>(p.workers[i].handle));
    if (!worker->mailbox().closed())
      return i;
  }
  return chosen;
}

} // namespace

admission admit(route_state& route, const pool& p, const caf::message& args) {
  admission result;
  auto refuse = [&](caf::error err) {
    route.count_refusal(err);
    result.err = std::move(err);
    return result;
  };
  if (auto size = payload_size(args); size > route.options.max_payload)
    return refuse(too_large(route, size));
  auto fan = route.policy->fan_out();
  auto n = fan ? static_cast<int64_t>(p.workers.size()) : int64_t{1};
  auto prior = route.in_flight.fetch_add(n, std::memory_order_seq_cst);
  if (route.status() != route_status::open) {
    route.release(n);
    return refuse(closed_error(route));
  }
  if (p.workers.empty()) {
    route.release(n);
    return refuse(make_error(error_code::no_worker,
                             "route '" + route.name + "' has no live worker"));
  }
  if (prior + n > route.options.max_in_flight) {
    route.release(n);
    return refuse(make_error(error_code::overloaded,
                             "route '" + route.name + "' has "
                               + std::to_string(route.options.max_in_flight)
                               + " requests in flight (max_in_flight)"));
  }
  // Count the request in at its worker(s). A worker that died after this
  // pool snapshot was taken refuses the envelope in `deliver`, which counts
  // it out again; nothing needs checking here.
  if (fan) {
    for (auto& slot : p.workers)
      slot.load->in_flight.fetch_add(1, std::memory_order_relaxed);
    return result;
  }
  uint64_t key = 0;
  if (route.options.policy == core::policy_kind::consistent_hash)
    key = routing_key(args, route.options.hash_key);
  result.slot = &p.workers[pick_live(p, route.policy->select(p.view(), key))];
  result.slot->load->in_flight.fetch_add(1, std::memory_order_relaxed);
  return result;
}

caf::error worker_gone(route_state& route) {
  // A worker that stops because the router went closes its route first
  // (worker_actor's down handler): the caller learns the router's fate,
  // not a worker's.
  auto err = route.status() == route_status::shutting_down
               ? closed_error(route)
               : make_error(error_code::worker_down,
                            "route '" + route.name
                              + "': the chosen worker stopped before taking "
                                "the request");
  route.count_refusal(err);
  return err;
}

bool deliver(route_state& route, const worker_slot& slot,
             caf::mailbox_element_ptr envelope, caf::execution_unit* eu) {
  auto worker = static_cast<worker_actor*>(
    caf::actor_cast<caf::abstract_actor*>(slot.handle));
  if (worker->offer(std::move(envelope), eu))
    return true;
  slot.load->in_flight.fetch_sub(1, std::memory_order_relaxed);
  route.release();
  return false;
}

void fan_out(caf::local_actor* spawner, route_state& route, const pool& p,
             reply_target to, const caf::message& args, int64_t sent_at_ns,
             int64_t timeout_ns) {
  auto collector = spawner->home_system().spawn(
    gather_actor, std::move(to), p.workers.size(), route.options.reply,
    route.name);
  auto collector_ptr = caf::actor_cast<caf::strong_actor_ptr>(collector);
  for (size_t i = 0; i < p.workers.size(); ++i) {
    auto env = caf::make_mailbox_element(
      collector_ptr, caf::make_message_id(), {},
      make_envelope(i + 1, sent_at_ns, timeout_ns, route.name, args));
    if (!deliver(route, p.workers[i], std::move(env), spawner->context()))
      caf::anon_send(collector, reply_atom::value, uint64_t{i + 1},
                     worker_gone(route));
  }
}

void dispatch_local(caf::local_actor* self, route_state& route, const pool& p,
                    const reply_target& to, const std::string& name,
                    caf::message envelope, const caf::message& args,
                    int64_t sent_at, int64_t timeout) {
  if (timeout == 0) {
    timeout = route.options.timeout.count();
    envelope = make_envelope(to.call_id, sent_at, timeout, name, args);
  }
  auto adm = admit(route, p, args);
  // Replaced after the caller looked it up (a link reads its own copy of
  // the directory): the successor takes the call. The registry's own
  // table never holds a closed route, so this never loops there.
  if (adm.err && route.status() == route_status::removed)
    if (auto next = route.successor()) {
      dispatch_local(self, *next, *next->snapshot(), to, name,
                     std::move(envelope), args, sent_at, timeout);
      return;
    }
  if (adm.err)
    send_reply(self, self->context(), to, std::move(adm.err));
  else if (adm.slot == nullptr)
    fan_out(self, route, p, to, args, sent_at, timeout);
  else if (!deliver(route, *adm.slot,
                    caf::make_mailbox_element(to.caller, to.mid, {},
                                              std::move(envelope)),
                    self->context()))
    send_reply(self, self->context(), to, worker_gone(route));
}

void dispatch_remote(caf::local_actor* self, const remote_route& route,
                     const reply_target& to,
                     const std::string& name, caf::message envelope) {
  // The first link with a free slot under its peer's limit takes the call;
  // the link gives the slot back when the call ends.
  const remote_link* link = nullptr;
  for (size_t i = 0; i < route.links.size() && link == nullptr; ++i)
    if (auto& x = route.pick(); x.gate->try_acquire())
      link = &x;
  if (link == nullptr) {
    auto& first = route.links.front();
    send_reply(self, self->context(), to,
               make_error(error_code::overloaded,
                          "route '" + name + "': this node already has "
                            + std::to_string(first.gate->limit())
                            + " calls in flight to node '" + first.peer
                            + "', its link_max_in_flight"));
    return;
  }
  caf::mailbox_element_ptr element;
  if (to.caller && to.caller->node() != self->node()) {
    auto& e = envelope.get_as<call_envelope>(0);
    element = caf::make_mailbox_element(
      caf::strong_actor_ptr{self->ctrl()}, caf::make_message_id(), {},
      forward_atom::value, to.caller, to.mid, e.call_id, e.sent_at_ns,
      e.timeout_ns, e.route, e.args);
  } else {
    element = caf::make_mailbox_element(to.caller, to.mid, {},
                                        std::move(envelope));
  }
  if (!offer_to(link->handle, std::move(element), self->context())) {
    link->gate->release();
    send_reply(self, self->context(), to,
               make_error(error_code::node_down,
                          "route '" + name + "': the link to "
                            + route.info.via
                            + " closed before taking the call"));
  }
}

} // namespace switchboard::detail
