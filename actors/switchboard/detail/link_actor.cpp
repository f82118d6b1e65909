#include "switchboard/detail/link_actor.hpp"

#include <algorithm>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/send.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/error.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/detail/remote_guard.hpp"
#include "switchboard/detail/worker_actor.hpp"

namespace switchboard::detail {

namespace {

using clock = steady;

/// Calls whose timeout is "the serving route's own" still leave the table
/// after this long (the far side always answers first, or the link fails).
constexpr auto unbounded_call = std::chrono::hours{1};

/// Advertisements from one peer reach the mesh actor at most this often.
constexpr auto advert_interval = std::chrono::milliseconds{50};

/// Self-sent: the next advertisement may go to the mesh actor.
using advert_tick_atom = caf::atom_constant<caf::atom("sb_advtk")>;

/// The payload bytes of a request or reply, as `max_batch_bytes` counts
/// them.
size_t bytes_of(const wire_payload& x) {
  return x.is_text ? x.text.size() : payload_size(x.other);
}

std::string millis(caf::timespan d) {
  return std::to_string(
           std::chrono::duration_cast<std::chrono::milliseconds>(d).count())
         + "ms";
}

} // namespace

link_actor::link_actor(caf::actor_config& cfg, link_config lc)
  : caf::event_based_actor(cfg), cfg_(std::move(lc)) {
  if (!cfg_.counters)
    cfg_.counters = std::make_shared<link_counters>();
  if (!cfg_.gate)
    cfg_.gate = std::make_shared<link_gate>();
}

const char* link_actor::name() const {
  return "switchboard.link";
}

caf::behavior link_actor::make_behavior() {
  last_received_ = last_sent_ = clock::now();
  if (cfg_.peer) {
    monitor(cfg_.peer);
    announce_limits();
  }
  set_down_handler([this](caf::down_msg& dm) {
    if (cfg_.peer && dm.source == cfg_.peer.address())
      go_down("connection lost: " + caf::to_string(dm.reason));
  });
  delayed_send(this, cfg_.heartbeat, link_tick_atom::value);
  return {
    // -- from the peer (any node) ---------------------------------------------
    [this](requests_atom, std::vector<wire_request>& xs) {
      last_received_ = clock::now();
      take_requests(xs);
    },
    [this](replies_atom, std::vector<wire_reply>& xs) {
      last_received_ = clock::now();
      take_replies(xs);
    },
    [this](advert_atom, std::vector<core::advert>& xs) {
      last_received_ = clock::now();
      take_advert(xs);
    },
    [this](ping_atom) { last_received_ = clock::now(); },
    // The peer's limit on this node's calls (clamped: any node may send).
    [this](limits_atom, int64_t max_in_flight) {
      last_received_ = clock::now();
      cfg_.gate->set_limit(max_in_flight);
    },
    // -- from this node only --------------------------------------------------
    [this](peer_atom, std::string& name, caf::actor& peer) {
      if (local_sender())
        set_peer(std::move(name), std::move(peer));
    },
    // A call from this node for a route the peer reaches (the registry
    // forwarded it with the caller as sender).
    [this](call_envelope& e) {
      if (!local_sender())
        return;
      reply_target to{std::move(current_sender()), current_message_id(),
                      e.call_id};
      send_call(std::move(to), e.sent_at_ns, e.timeout_ns, std::move(e.route),
                std::move(e.args));
    },
    // The same for a caller on another node (see forward_atom).
    [this](forward_atom, caf::strong_actor_ptr& caller, caf::message_id mid,
           uint64_t call_id, int64_t sent_at, int64_t timeout,
           std::string& route, caf::message& args) {
      if (!local_sender())
        return;
      send_call(reply_target{std::move(caller), mid, call_id}, sent_at,
                timeout, std::move(route), std::move(args));
    },
    // From the mesh: what this node advertises to the peer.
    [this](advertise_atom, std::vector<core::advert>& xs) {
      if (!cfg_.peer || !local_sender())
        return;
      send(cfg_.peer, advert_atom::value, std::move(xs));
      last_sent_ = clock::now();
    },
    // Replies of this node's workers to the peer's calls.
    [this](reply_atom, uint64_t id, caf::message& value) {
      if (local_sender())
        reply_to_peer(
          wire_reply{id, wire_payload::of(std::move(value)), caf::error{}});
    },
    [this](reply_atom, uint64_t id, caf::error& err) {
      if (local_sender())
        reply_to_peer(wire_reply{id, wire_payload{}, std::move(err)});
    },
    // Another link of this node passes its peer's calls on to our peer...
    [this](relay_atom, std::vector<wire_request>& xs) {
      if (local_sender())
        relay_calls(xs);
    },
    // ...and takes the answers back for its peer.
    [this](relay_reply_atom, std::vector<wire_reply>& xs) {
      if (!local_sender())
        return;
      for (auto& x : xs)
        reply_to_peer(std::move(x));
    },
    [this](flush_atom) {
      if (!local_sender())
        return;
      flush_scheduled_ = false;
      flush();
    },
    [this](link_tick_atom) {
      if (local_sender())
        on_tick();
    },
    [this](advert_tick_atom) {
      if (!local_sender())
        return;
      advert_timer_ = false;
      forward_advert();
    },
  };
}

void link_actor::enqueue(caf::mailbox_element_ptr ptr,
                         caf::execution_unit* eu) {
  if (ptr != nullptr && is_remote_exit(*ptr, node()))
    return;
  caf::event_based_actor::enqueue(std::move(ptr), eu);
}

bool link_actor::local_sender() const {
  auto& src = current_element_->sender;
  return src && src->node() == node();
}

void link_actor::take_advert(std::vector<core::advert>& xs) {
  if (xs.size() > cfg_.max_advert_routes) {
    go_down("the peer advertised " + std::to_string(xs.size())
            + " routes, more than max_advert_routes ("
            + std::to_string(cfg_.max_advert_routes) + ")");
    return;
  }
  // Full state each time: only the latest pending one matters.
  pending_advert_ = std::move(xs);
  // The actor clock, so that deterministic tests control it.
  auto due = advert_sent_ + advert_interval;
  auto now = home_system().clock().now();
  if (now >= due) {
    forward_advert();
  } else if (!advert_timer_) {
    advert_timer_ = true;
    delayed_send(this, due - now, advert_tick_atom::value);
  }
}

void link_actor::forward_advert() {
  if (!pending_advert_)
    return;
  send(cfg_.mesh, learned_atom::value, std::move(*pending_advert_));
  pending_advert_.reset();
  advert_sent_ = home_system().clock().now();
}

void link_actor::make_room(size_t bytes, size_t queued_bytes) {
  if (queued_bytes > 0 && queued_bytes + bytes > cfg_.max_batch_bytes)
    flush();
}

void link_actor::set_peer(std::string name, caf::actor peer) {
  if (cfg_.peer)
    return;
  cfg_.peer_name = std::move(name);
  cfg_.peer = std::move(peer);
  monitor(cfg_.peer);
  announce_limits();
  last_received_ = clock::now();
  flush();
}

void link_actor::announce_limits() {
  // Ahead of the first advertisement: the peer knows the limit before it
  // publishes any route of this node.
  send(cfg_.peer, limits_atom::value, cfg_.link_max_in_flight);
  last_sent_ = clock::now();
}

uint64_t link_actor::add_pending(outgoing call, int64_t sent_at,
                                 int64_t timeout, int64_t& left) {
  auto now = clock::now();
  left = 0;
  if (timeout == 0)
    return pending_.insert(std::move(call), now + unbounded_call,
                           unbounded_call);
  auto deadline = from_ns(sent_at + timeout);
  left = to_ns(deadline) - to_ns(now);
  if (left <= 0) {
    cfg_.gate->release();
    send_reply(this, context(), call.to,
               make_error(error_code::timeout,
                          "route '" + call.route + "': the deadline passed "
                            "before the call left for node '"
                            + cfg_.peer_name + "'"));
    return 0;
  }
  return pending_.insert(std::move(call), deadline,
                         std::chrono::nanoseconds{timeout});
}

void link_actor::send_call(reply_target to, int64_t sent_at, int64_t timeout,
                           std::string route, caf::message args) {
  int64_t left = 0;
  auto id = add_pending(outgoing{std::move(to), route, false}, sent_at,
                        timeout, left);
  if (id == 0)
    return;
  auto payload = wire_payload::of(std::move(args));
  auto bytes = bytes_of(payload);
  make_room(bytes, out_request_bytes_);
  out_requests_.push_back(
    wire_request{id, left, std::move(route), std::move(payload)});
  out_request_bytes_ += bytes;
  if (out_requests_.size() >= cfg_.max_batch)
    flush();
  else
    schedule_flush();
}

void link_actor::relay_calls(std::vector<wire_request>& xs) {
  auto now = to_ns(clock::now());
  for (auto& x : xs) {
    reply_target to{current_sender(), {}, x.id};
    // Relayed calls count against the peer's limit like this node's own.
    if (!cfg_.gate->try_acquire()) {
      send_reply(this, context(), to,
                 make_error(error_code::overloaded,
                            "route '" + x.route + "': node '"
                              + cfg_.self_name + "' already has "
                              + std::to_string(cfg_.gate->limit())
                              + " calls in flight to node '"
                              + cfg_.peer_name + "', its link_max_in_flight"));
      continue;
    }
    int64_t left = 0;
    auto id = add_pending(outgoing{std::move(to), x.route, true}, now,
                          x.timeout_ns, left);
    if (id == 0)
      continue;
    auto bytes = bytes_of(x.args);
    make_room(bytes, out_request_bytes_);
    out_requests_.push_back(
      wire_request{id, left, std::move(x.route), std::move(x.args)});
    out_request_bytes_ += bytes;
    if (out_requests_.size() >= cfg_.max_batch)
      flush();
  }
  schedule_flush();
}

void link_actor::take_replies(std::vector<wire_reply>& xs) {
  link_counters::add(cfg_.counters->replies_in, xs.size());
  // Answers to relayed calls go back to their link in one batch each.
  std::vector<std::pair<caf::strong_actor_ptr, std::vector<wire_reply>>> back;
  for (auto& x : xs) {
    auto call = pending_.take(x.id);
    if (!call)
      continue; // expired here already
    // The slot first: a caller may issue its next call on the answer.
    cfg_.gate->release();
    if (call->relayed) {
      auto i = std::find_if(back.begin(), back.end(), [&](auto& entry) {
        return entry.first == call->to.caller;
      });
      if (i == back.end())
        i = back.emplace(back.end(), call->to.caller,
                         std::vector<wire_reply>{});
      x.id = call->to.call_id;
      i->second.push_back(std::move(x));
    } else if (x.err) {
      send_reply(this, context(), call->to, std::move(x.err));
    } else {
      send_reply(this, context(), call->to, x.value.take());
    }
  }
  for (auto& [caller, replies] : back)
    caller->enqueue(caf::make_mailbox_element(
                      caf::strong_actor_ptr{ctrl()}, caf::make_message_id(),
                      {}, relay_reply_atom::value, std::move(replies)),
                    context());
}

void link_actor::take_requests(std::vector<wire_request>& xs) {
  link_counters::add(cfg_.counters->calls_in, xs.size());
  // Each call counts until its reply goes back (`reply_to_peer`).
  peer_in_flight_ += static_cast<int64_t>(xs.size());
  auto registry = caf::actor_cast<caf::abstract_actor*>(cfg_.registry);
  if (registry->getf(caf::abstract_actor::is_terminated_flag)) {
    for (auto& x : xs)
      reply_to_peer(wire_reply{
        x.id, wire_payload{},
        make_error(error_code::shutting_down,
                   "node '" + cfg_.self_name + "' has stopped (route '"
                     + x.route + "')")});
    return;
  }
  if (dir_version_ != cfg_.dir->version()) {
    dir_version_ = cfg_.dir->version();
    local_ = cfg_.dir->load();
    remote_ = cfg_.dir->load_remote();
  }
  auto now = to_ns(clock::now());
  std::vector<std::pair<caf::actor, std::vector<wire_request>>> relays;
  // The calls of this batch beyond the limit are refused (counting the
  // batch in first, then refusing from its end, keeps the count exact).
  auto excess = std::min(peer_in_flight_ - cfg_.link_max_in_flight,
                         static_cast<int64_t>(xs.size()));
  auto admitted = xs.size() - static_cast<size_t>(std::max(excess, int64_t{0}));
  for (size_t i = 0; i < admitted; ++i) {
    // A peer's timeout goes into deadline arithmetic (here, at the next
    // link, in a worker): one that could overflow it is refused.
    if (auto why = wire_request_problem(xs[i]); !why.empty())
      reply_to_peer(wire_reply{xs[i].id, wire_payload{},
                               make_error(error_code::bad_request, why)});
    else
      dispatch(xs[i], now, relays);
  }
  for (size_t i = admitted; i < xs.size(); ++i)
    reply_to_peer(wire_reply{
      xs[i].id, wire_payload{},
      make_error(error_code::overloaded,
                 "route '" + xs[i].route + "': node '" + cfg_.self_name
                   + "' already runs "
                   + std::to_string(cfg_.link_max_in_flight)
                   + " calls from node '" + cfg_.peer_name
                   + "' (link_max_in_flight)")});
  for (auto& [link, calls] : relays) {
    auto batch = caf::make_message(relay_atom::value, std::move(calls));
    if (offer_to(link,
                 caf::make_mailbox_element(caf::strong_actor_ptr{ctrl()},
                                           caf::make_message_id(), {}, batch),
                 context()))
      continue;
    // The next link closed in between: its calls fail as if in flight.
    for (auto& x : batch.get_as<std::vector<wire_request>>(1))
      reply_to_peer(wire_reply{
        x.id, wire_payload{},
        make_error(error_code::node_down,
                   "route '" + x.route
                     + "': the link towards its node closed before taking "
                       "the call")});
  }
}

void link_actor::dispatch(
  wire_request& x, int64_t now,
  std::vector<std::pair<caf::actor, std::vector<wire_request>>>& relays) {
  auto local = local_->find(x.route);
  if (local == local_->end()) {
    // Further away: into the batch for the next link, as it came.
    if (auto i = remote_->find(x.route);
        i != remote_->end() && !i->second.links.empty()) {
      auto& link = i->second.pick().handle;
      auto j = std::find_if(relays.begin(), relays.end(),
                            [&](auto& entry) { return entry.first == link; });
      if (j == relays.end())
        j = relays.emplace(relays.end(), link, std::vector<wire_request>{});
      j->second.push_back(std::move(x));
      return;
    }
  }
  reply_target to{caf::strong_actor_ptr{ctrl()}, caf::make_message_id(), x.id};
  auto args = x.args.take();
  auto envelope = make_envelope(x.id, now, x.timeout_ns, x.route, args);
  // Straight to a local worker: no registry hop.
  if (local != local_->end()) {
    auto& route = *local->second;
    dispatch_local(this, route, *route.snapshot(), to, x.route,
                   std::move(envelope), args, now, x.timeout_ns);
    return;
  }
  // Unknown here: the registry answers (no_such_route, shutting_down).
  if (!offer_to(cfg_.registry,
                caf::make_mailbox_element(std::move(to.caller), to.mid, {},
                                          std::move(envelope)),
                context()))
    reply_to_peer(wire_reply{
      x.id, wire_payload{},
      make_error(error_code::shutting_down,
                 "node '" + cfg_.self_name + "' has stopped (route '"
                   + x.route + "')")});
}

void link_actor::reply_to_peer(wire_reply x) {
  // Every call the peer sent gets exactly one reply through here.
  if (peer_in_flight_ > 0)
    --peer_in_flight_;
  auto bytes = x.err ? size_t{0} : bytes_of(x.value);
  make_room(bytes, out_reply_bytes_);
  out_replies_.push_back(std::move(x));
  out_reply_bytes_ += bytes;
  if (out_replies_.size() >= cfg_.max_batch)
    flush();
  else
    schedule_flush();
}

void link_actor::schedule_flush() {
  if (flush_scheduled_)
    return;
  flush_scheduled_ = true;
  // Behind everything already in the mailbox: what arrives meanwhile
  // leaves in the same message.
  send(this, flush_atom::value);
}

void link_actor::flush() {
  if (!cfg_.peer)
    return;
  if (!out_requests_.empty()) {
    link_counters::add(cfg_.counters->calls_out, out_requests_.size());
    send(cfg_.peer, requests_atom::value, std::move(out_requests_));
    out_requests_ = {};
    out_request_bytes_ = 0;
    last_sent_ = clock::now();
  }
  if (!out_replies_.empty()) {
    link_counters::add(cfg_.counters->replies_out, out_replies_.size());
    send(cfg_.peer, replies_atom::value, std::move(out_replies_));
    out_replies_ = {};
    out_reply_bytes_ = 0;
    last_sent_ = clock::now();
  }
}

void link_actor::on_tick() {
  auto now = clock::now();
  if (now - last_received_ > cfg_.peer_timeout) {
    go_down("no heartbeat for " + millis(now - last_received_));
    return;
  }
  if (cfg_.peer && now - last_sent_ >= cfg_.heartbeat) {
    send(cfg_.peer, ping_atom::value);
    last_sent_ = now;
  }
  pending_.expire(now, [&](uint64_t, outgoing&& x) {
    cfg_.gate->release();
    send_reply(this, context(), x.to,
               make_error(error_code::timeout,
                          "route '" + x.route + "': no reply from node '"
                            + cfg_.peer_name + "' before the deadline"));
  });
  delayed_send(this, cfg_.heartbeat, link_tick_atom::value);
}

caf::error link_actor::node_down(const std::string& route) const {
  auto peer = cfg_.peer_name.empty() ? std::string{"(connecting)"}
                                     : "'" + cfg_.peer_name + "'";
  return make_error(error_code::node_down,
                    "route '" + route + "': node " + peer + " is gone ("
                      + down_reason_ + ") with the call in flight");
}

void link_actor::go_down(const std::string& why) {
  down_reason_ = why;
  quit(make_error(error_code::node_down,
                  "link to node '" + cfg_.peer_name + "': " + why));
}

void link_actor::on_exit() {
  // The cached routes hold handles of links, this one among them.
  local_.reset();
  remote_.reset();
  if (down_reason_.empty())
    down_reason_ = "link closed: " + caf::to_string(fail_state_);
  pending_.clear([&](uint64_t, outgoing&& x) {
    cfg_.gate->release();
    send_reply(this, nullptr, x.to, node_down(x.route));
  });
  // Calls the registry forwarded that never ran: the same answer. Calls
  // another link relayed go back to it in one batch, as node_down.
  close_mailbox(this, [&](caf::mailbox_element& x) {
    auto& msg = x.content();
    if (!x.sender || x.sender->node() != node())
      return;
    if (msg.match_elements<call_envelope>()) {
      auto& e = msg.get_as<call_envelope>(0);
      reply_target to{x.sender, x.mid, e.call_id};
      cfg_.gate->release();
      send_reply(this, nullptr, to, node_down(e.route));
    } else if (msg.match_elements<forward_atom, caf::strong_actor_ptr,
                                  caf::message_id, uint64_t, int64_t, int64_t,
                                  std::string, caf::message>()) {
      reply_target to{msg.get_as<caf::strong_actor_ptr>(1),
                      msg.get_as<caf::message_id>(2),
                      msg.get_as<uint64_t>(3)};
      cfg_.gate->release();
      send_reply(this, nullptr, to, node_down(msg.get_as<std::string>(6)));
    } else if (msg.match_elements<relay_atom, std::vector<wire_request>>()) {
      std::vector<wire_reply> answers;
      for (auto& req : msg.get_as<std::vector<wire_request>>(1))
        answers.push_back(
          wire_reply{req.id, wire_payload{}, node_down(req.route)});
      x.sender->enqueue(caf::make_mailbox_element(
                          caf::strong_actor_ptr{ctrl()},
                          caf::make_message_id(), {},
                          relay_reply_atom::value, std::move(answers)),
                        nullptr);
    }
  });
}

} // namespace switchboard::detail
