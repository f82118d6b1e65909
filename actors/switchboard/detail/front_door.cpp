#include "switchboard/detail/front_door.hpp"

#include <chrono>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message_view.hpp>
#include <caf/result.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/core/route_name.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/detail/envelope.hpp"
#include "switchboard/detail/remote_guard.hpp"
#include "switchboard/error.hpp"

namespace switchboard::detail {

namespace {

using self_ptr = caf::stateful_actor<front_door_state>*;

/// How long the registry or the mesh actor may take to answer a listing
/// or a handshake (both answer at once unless the node is stopping).
constexpr auto internal_timeout = std::chrono::seconds{10};

/// At most this many (peer, kind) refusals are remembered for logging;
/// beyond, one last line says that further refusals go unlogged.
constexpr size_t max_logged = 4096;

/// The current message came from this node (the registry, a worker, the
/// mesh actor, a local client), not from the network.
bool from_local(self_ptr self) {
  auto& sender = self->current_sender();
  return sender != nullptr && sender->node() == self->node();
}

std::string peer_of(self_ptr self) {
  auto& sender = self->current_sender();
  if (sender == nullptr)
    return "an anonymous sender";
  auto result = "node " + caf::to_string(sender->node());
  if (auto& id = self->state.cfg.identify)
    if (auto name = id(sender->node()))
      result += " ('" + *name + "')";
  return result;
}

/// The identity of the current sender; a local sender is trusted and has
/// no need of one (nullopt with `local` set).
std::optional<std::string> identity_of(self_ptr self) {
  auto& sender = self->current_sender();
  if (sender == nullptr || !self->state.cfg.identify)
    return std::nullopt;
  return self->state.cfg.identify(sender->node());
}

/// Logs a refusal once per peer and `kind`; returns the error to answer.
caf::error refuse(self_ptr self, const std::string& kind,
                  const std::string& why) {
  auto& st = self->state;
  auto& sender = self->current_sender();
  auto key = std::make_pair(
    sender ? caf::to_string(sender->node()) : std::string{"anonymous"}, kind);
  if (st.logged.size() < max_logged) {
    if (st.logged.insert(key).second && st.cfg.log)
      st.cfg.log("refused " + peer_of(self) + ": " + why);
  } else if (!st.log_full) {
    st.log_full = true;
    if (st.cfg.log)
      st.cfg.log("refused " + peer_of(self) + ": " + why
                 + " (further refusals are not logged)");
  }
  return make_error(error_code::forbidden, why);
}

bool may_call(self_ptr self, const std::string& route) {
  return from_local(self)
         || self->state.cfg.policy->may_call(identity_of(self), route);
}

/// Forwards a call to the registry as an envelope from the front door;
/// the reply comes back here (`sb_reply`) and leaves as ours.
caf::result<caf::message> forward_call(self_ptr self, std::string route,
                                       caf::message args) {
  if (auto why = core::route_name_problem(route); !why.empty())
    return make_error(error_code::bad_request, why);
  if (!may_call(self, route))
    return refuse(self, "call " + route, "may not call route '" + route + "'");
  auto& st = self->state;
  auto id = st.next_id++;
  st.calls.emplace(id, self->make_response_promise());
  self->send(st.cfg.registry,
             call_envelope{id, to_ns(steady::now()), int64_t{0},
                           std::move(route), std::move(args)});
  return caf::delegated<caf::message>{};
}

/// Answers a forwarded call.
template <class T>
void answer(self_ptr self, uint64_t id, T&& value) {
  if (!from_local(self))
    return; // a forged reply from the network
  auto& calls = self->state.calls;
  auto i = calls.find(id);
  if (i == calls.end())
    return;
  auto rp = std::move(i->second);
  calls.erase(i);
  rp.deliver(std::forward<T>(value));
}

void answer_all(self_ptr self, const caf::error& err) {
  auto calls = std::move(self->state.calls);
  self->state.calls.clear();
  for (auto& [id, rp] : calls)
    rp.deliver(err);
}

caf::result<caf::message> hello(self_ptr self, std::string& name,
                                caf::actor& link) {
  auto& st = self->state;
  if (!from_local(self)) {
    if (!link || !self->current_sender()
        || link.node() != self->current_sender()->node())
      return refuse(self, "hello",
                    "a peer must send its name and a link on its own node");
    auto identity = identity_of(self);
    if (st.cfg.tls && identity != name)
      return refuse(self, "hello " + name,
                    "may not join the mesh as '" + name
                      + "': its certificate names '"
                      + identity.value_or("(none)") + "'");
    if (!st.cfg.policy->may_peer(identity))
      return refuse(self, "hello " + name,
                    "may not join the mesh (no [[allow]] rule with peer = "
                    "true matches '"
                      + identity.value_or("(no identity)") + "')");
  }
  auto rp = self->make_response_promise();
  self
    ->request(st.cfg.mesh, internal_timeout, hello_atom::value, std::move(name),
              std::move(link))
    .then([rp](std::string& n, caf::actor& l) mutable { rp.deliver(n, l); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return caf::delegated<caf::message>{};
}

/// `list` and `stats`: what the routes are and what they did, for anyone
/// this node knows (any identity its rules name; everyone without rules).
template <class Atom, class Result>
caf::result<caf::message> ask_registry(self_ptr self, Atom what,
                                       const char* kind) {
  auto& st = self->state;
  if (!from_local(self) && !st.cfg.policy->known(identity_of(self)))
    return refuse(self, kind, std::string{"may not "} + kind + " the routes");
  auto rp = self->make_response_promise();
  self->request(st.cfg.registry, internal_timeout, what)
    .then([rp](Result& xs) mutable { rp.deliver(std::move(xs)); },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
  return caf::delegated<caf::message>{};
}

/// `pstats`: what went over the node's links, for the same parties as
/// `stats`.
caf::result<caf::message> peer_stats(self_ptr self) {
  auto& st = self->state;
  if (!from_local(self) && !st.cfg.policy->known(identity_of(self)))
    return refuse(self, "pstats", "may not read the peer metrics");
  return caf::make_message(st.cfg.peer_stats
                             ? st.cfg.peer_stats()
                             : std::vector<core::peer_stats>{});
}

} // namespace

front_door_actor::front_door_actor(caf::actor_config& cfg,
                                   front_door_config fdc)
  : caf::stateful_actor<front_door_state>(cfg) {
  state.cfg = std::move(fdc);
}

void front_door_actor::enqueue(caf::mailbox_element_ptr ptr,
                               caf::execution_unit* eu) {
  if (ptr != nullptr
      && (is_remote_exit(*ptr, node()) || is_remote_down(*ptr, node())))
    return;
  caf::stateful_actor<front_door_state>::enqueue(std::move(ptr), eu);
}

caf::behavior front_door_actor::make_behavior() {
  self_ptr self = this;
  if (!self->state.cfg.policy)
    self->state.cfg.policy = std::make_shared<core::access_policy>();
  self->monitor(self->state.cfg.registry);
  // Only this node may stop the front door (`enqueue` drops exit messages
  // from the network).
  self->set_exit_handler([self](caf::exit_msg& em) {
    answer_all(self, make_error(error_code::shutting_down,
                                "the node's front door is closing"));
    self->quit(em.reason);
  });
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source == self->state.cfg.registry.address())
      answer_all(self, make_error(error_code::shutting_down,
                                  "the node's router has stopped"));
  });
  self->set_error_handler([](caf::error&) {
    // nop: errors from the network mean nothing to the front door
  });
  // Everything outside the behavior: plain calls (variadic), else refused.
  self->set_default_handler(
    [](caf::scheduled_actor* ptr,
       caf::message_view& mv) -> caf::result<caf::message> {
      auto self = static_cast<self_ptr>(ptr);
      auto& xs = mv.content();
      if (xs.size() >= 2 && xs.match_element<call_atom>(0)
          && xs.match_element<std::string>(1)) {
        auto msg = mv.move_content_to_message();
        auto route = msg.get_as<std::string>(1);
        return forward_call(self, std::move(route), msg.drop(2));
      }
      // Named by its first element (an atom, usually): never the payload.
      auto what = xs.empty() ? std::string{"an empty message"}
                             : xs.stringify(0).substr(0, 40);
      return refuse(self, "protocol " + what,
                    "sent a message outside the node's public protocol (" + what
                      + ")");
    });
  return {
    [self](hello_atom, std::string& name, caf::actor& link)
      -> caf::result<caf::message> { return hello(self, name, link); },
    [self](list_atom x) -> caf::result<caf::message> {
      return ask_registry<list_atom, std::vector<core::route_info>>(self, x,
                                                                    "list");
    },
    [self](stats_atom x) -> caf::result<caf::message> {
      return ask_registry<stats_atom, std::vector<core::route_stats>>(
        self, x, "stats");
    },
    [self](peer_stats_atom) { return peer_stats(self); },
    [](ping_atom atm) { return atm; },
    [self](reply_atom, uint64_t id, caf::message& value) {
      answer(self, id, std::move(value));
    },
    [self](reply_atom, uint64_t id, caf::error& err) {
      answer(self, id, std::move(err));
    },
  };
}

} // namespace switchboard::detail
