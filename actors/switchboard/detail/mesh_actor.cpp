#include "switchboard/detail/mesh_actor.hpp"

#include <algorithm>
#include <optional>

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/route_event.hpp"
#include "switchboard/detail/link_actor.hpp"
#include "switchboard/detail/remote_routes.hpp"
#include "switchboard/error.hpp"

namespace switchboard::detail {

namespace {

using self_ptr = caf::stateful_actor<mesh_state>*;

/// How long one connection attempt may take (the handshake after it is
/// bounded by `peer_timeout`, and fails at once if the peer goes away).
constexpr auto connect_timeout = std::chrono::seconds{10};

void log(self_ptr self, const std::string& line) {
  if (self->state.opts.log)
    self->state.opts.log(line);
}

std::string address_of(const mesh_state::target& t) {
  return t.host + ":" + std::to_string(t.port);
}

std::string join(const std::set<std::string>& xs) {
  std::string result;
  for (auto& x : xs) {
    if (!result.empty())
      result += ',';
    result += x;
  }
  return result;
}

std::string millis(caf::timespan d) {
  return std::to_string(
           std::chrono::duration_cast<std::chrono::milliseconds>(d).count())
         + "ms";
}

/// The node's transport: plain TCP or TLS (see detail/transport.hpp).
caf::io::middleman_actor connector(self_ptr self) {
  return self->state.transport;
}

void publish_shared(self_ptr self) {
  auto& st = self->state;
  std::vector<peer_info> peers;
  for (auto& t : st.targets) {
    peer_info x;
    x.name = t.peer;
    x.address = address_of(t);
    auto i = st.links.find(t.link);
    x.connected = i != st.links.end() && i->second.up;
    if (!x.connected)
      x.last_error = t.last_error;
    peers.push_back(std::move(x));
  }
  for (auto& [id, l] : st.links)
    if (l.target < 0 && l.up)
      peers.push_back(peer_info{l.peer, {}, true, {}});
  std::sort(peers.begin(), peers.end(), [](auto& x, auto& y) {
    return std::tie(x.name, x.address) < std::tie(y.name, y.address);
  });
  std::set<std::string> reachable;
  for (auto& entry : st.logged)
    reachable.insert(entry.first);
  {
    std::lock_guard<std::mutex> guard{st.shared->mtx};
    st.shared->peers = std::move(peers);
    st.shared->reachable = std::move(reachable);
  }
  st.shared->changed.notify_all();
}

/// Brings everything that depends on the table up to date: the remote
/// routes published in the directory cell, what each peer is told, the log
/// and the blocking API.
void recompute(self_ptr self) {
  auto& st = self->state;
  remote_routes routes;
  std::map<std::string, std::string> reachable;
  for (auto& [name, hops] : st.table->remote()) {
    remote_route r;
    std::set<std::string> origins, vias;
    for (auto& hop : hops) {
      auto i = st.links.find(hop.link);
      if (i == st.links.end() || !i->second.up)
        continue;
      r.links.push_back(
        remote_link{i->second.handle, i->second.gate, i->second.peer});
      origins.insert(hop.path.back());
      vias.insert(hop.path.front());
    }
    if (r.links.empty())
      continue;
    r.info.name = name;
    r.info.kind = "remote";
    r.info.workers = r.links.size();
    r.info.origin = join(origins);
    r.info.via = join(vias);
    reachable.emplace(name, "via " + r.info.via + " (served by " + r.info.origin
                              + ")");
    routes.emplace(name, std::move(r));
  }
  // The registry, callers and links read the cell: store it before anyone
  // hears of the change.
  st.dir->store_remote(
    std::make_shared<const remote_routes>(std::move(routes)));
  for (auto& [id, l] : st.links) {
    if (!l.up)
      continue;
    auto adverts = st.table->adverts_for(id);
    if (adverts != l.sent) {
      self->send(l.handle, advertise_atom::value, adverts);
      l.sent = std::move(adverts);
    }
  }
  // Publish first: whoever reads a log line then finds the state it says.
  std::vector<std::string> lines;
  for (auto& [name, text] : reachable) {
    auto i = st.logged.find(name);
    if (i == st.logged.end() || i->second != text)
      lines.push_back("route '" + name + "' reachable " + text);
  }
  for (auto& [name, text] : st.logged)
    if (reachable.count(name) == 0)
      lines.push_back("route '" + name + "' no longer reachable");
  st.logged = std::move(reachable);
  publish_shared(self);
  for (auto& line : lines)
    log(self, line);
}

uint64_t spawn_link(self_ptr self, std::string peer_name, caf::actor peer,
                    int target) {
  auto& st = self->state;
  link_config lc;
  lc.self_name = st.opts.name;
  lc.peer_name = peer_name;
  lc.peer = std::move(peer);
  lc.registry = st.registry;
  lc.dir = st.dir;
  lc.mesh = caf::actor{self};
  lc.heartbeat = st.opts.heartbeat;
  lc.peer_timeout = st.opts.peer_timeout;
  lc.max_batch = st.opts.max_batch;
  lc.max_batch_bytes = st.opts.max_batch_bytes;
  lc.link_max_in_flight = st.opts.link_max_in_flight;
  lc.max_advert_routes = st.opts.max_advert_routes;
  auto counters = std::make_shared<link_counters>();
  lc.counters = counters;
  auto gate = std::make_shared<link_gate>();
  lc.gate = gate;
  auto handle = self->spawn<link_actor>(std::move(lc));
  self->monitor(handle);
  auto id = st.next_link_id++;
  st.link_ids.emplace(handle.address(), id);
  mesh_state::link_info info;
  info.handle = std::move(handle);
  info.peer = std::move(peer_name);
  info.target = target;
  info.counters = std::move(counters);
  info.gate = std::move(gate);
  st.links.emplace(id, std::move(info));
  return id;
}

/// A link to `l.peer` came up: its counts and bytes count for that name.
void count_link_up(self_ptr self, const mesh_state::link_info& l) {
  auto& st = self->state;
  if (st.shared->traffic)
    st.shared->traffic->claim(l.peer_node, l.peer);
  std::lock_guard<std::mutex> guard{st.shared->mtx};
  auto& record = st.shared->records[l.peer];
  ++record.totals.connects;
  if (l.target >= 0)
    record.totals.address = address_of(st.targets[l.target]);
  record.live.push_back(l.counters);
}

/// A link that was up is gone: its final counts join the name's totals.
void count_link_down(self_ptr self, const mesh_state::link_info& l) {
  auto& st = self->state;
  {
    std::lock_guard<std::mutex> guard{st.shared->mtx};
    auto& record = st.shared->records[l.peer];
    auto& live = record.live;
    live.erase(std::remove(live.begin(), live.end(), l.counters), live.end());
    // The link has stopped: these counts are final.
    l.counters->add_to(record.totals);
  }
  if (st.shared->traffic)
    st.shared->traffic->release(l.peer_node);
}

/// Completes a handshake: the peer counts as connected (and `line` is
/// logged) before the routes it brings.
void link_up(self_ptr self, uint64_t id, const std::string& line) {
  auto& st = self->state;
  auto& l = st.links.at(id);
  l.up = true;
  count_link_up(self, l);
  publish_shared(self);
  log(self, line);
  st.table->set_link(id, l.peer, std::move(l.early));
  l.early.clear();
  recompute(self);
}

void schedule_retry(self_ptr self, size_t index) {
  auto& t = self->state.targets[index];
  self->delayed_send(self, t.backoff, retry_atom::value, uint64_t{index});
  t.backoff = std::min(t.backoff * 2, self->state.opts.retry_max);
}

void attempt_failed(self_ptr self, size_t index, const std::string& why) {
  auto& t = self->state.targets[index];
  t.link = 0;
  if (t.handshake) {
    self->demonitor(t.handshake);
    t.handshake = nullptr;
  }
  schedule_retry(self, index);
  if (why == t.last_error) {
    publish_shared(self);
    return;
  }
  t.last_error = why;
  publish_shared(self);
  log(self, "peer " + address_of(t) + " unreachable: " + why
              + "; retrying with backoff (at most every "
              + millis(self->state.opts.retry_max) + ")");
}

/// Why a peer named `name` on CAF node `node` cannot join, or nothing.
/// `except` is the link being set up for it. A peer this node dialled (a
/// configured `[[peer]]`) wins over a connection that dialled in under the
/// same name: `evict_accepted` then lets it through (see `evict`).
std::optional<std::string> refusal(self_ptr self, const std::string& name,
                                   const caf::node_id& node, uint64_t except,
                                   bool evict_accepted = false) {
  auto& st = self->state;
  if (name.empty())
    return "a peer must send its name and its link";
  if (name == st.opts.name)
    return "the peer uses this node's own name '" + name
           + "': node names must be unique in a mesh";
  for (auto& [id, l] : st.links)
    if (id != except && l.up && l.peer == name && l.peer_node != node
        && !(evict_accepted && l.target < 0))
      return "a different node named '" + name
             + "' is already connected: node names must be unique in a "
               "mesh";
  return std::nullopt;
}

/// Closes every accepted link (one that dialled in) named `name` but `except`:
/// a configured peer of that name just connected.
void evict(self_ptr self, const std::string& name, uint64_t except,
           const std::string& address) {
  for (auto& [id, l] : self->state.links)
    if (id != except && l.target < 0 && l.peer == name) {
      log(self, "peer '" + name
                  + "' that dialled in is replaced by the "
                    "configured peer at "
                  + address + " of that name");
      self->send_exit(l.handle, caf::exit_reason::user_shutdown);
    }
}

std::string render(self_ptr self, const caf::error& err) {
  if (code_of(err))
    return describe(err);
  return self->home_system().render(err);
}

void attempt(self_ptr self, size_t index) {
  auto& t = self->state.targets[index];
  if (t.link != 0)
    return;
  self
    ->request(connector(self), connect_timeout, caf::connect_atom::value,
              t.host, t.port)
    .then(
      [self, index](caf::node_id&, caf::strong_actor_ptr& ptr,
                    std::set<std::string>&) {
        if (!ptr) {
          attempt_failed(self, index, "nothing is published there");
          return;
        }
        auto remote = caf::actor_cast<caf::actor>(ptr);
        auto id = spawn_link(self, {}, nullptr, static_cast<int>(index));
        auto& t = self->state.targets[index];
        t.link = id;
        // If the peer goes away mid-handshake (or CAF handed out a
        // connection to a node that is just going), the down message ends
        // the attempt at once (see the down handler).
        t.handshake = remote.address();
        self->monitor(remote);
        auto link = self->state.links.at(id).handle;
        self
          ->request(remote, self->state.opts.peer_timeout, hello_atom::value,
                    self->state.opts.name, link)
          .then(
            [self, index, id, link](std::string& name, caf::actor& peer) {
              auto& st = self->state;
              auto& t = st.targets[index];
              auto i = st.links.find(id);
              if (t.link != id || i == st.links.end())
                return; // this attempt already ended
              self->demonitor(t.handshake);
              t.handshake = nullptr;
              auto why = refusal(self, name, peer.node(), id, true);
              if (!why && st.identify) {
                // Under TLS the peer is who its certificate says.
                auto cert = st.identify(peer.node());
                if (cert != name)
                  why = "the peer calls itself '" + name
                        + "' but its certificate names '"
                        + cert.value_or("(none)") + "'";
              }
              if (why) {
                self->send_exit(link, caf::exit_reason::user_shutdown);
                attempt_failed(self, index, "handshake refused here: " + *why);
                return;
              }
              evict(self, name, id, address_of(t));
              i->second.peer = name;
              i->second.peer_node = peer.node();
              self->send(link, peer_atom::value, name, peer);
              t.peer = name;
              t.last_error.clear();
              t.backoff = st.opts.retry_min;
              link_up(self, id,
                      "connected to peer '" + name + "' at " + address_of(t));
            },
            [self, index, id, link](caf::error& err) {
              if (self->state.targets[index].link != id)
                return; // this attempt already ended
              self->send_exit(link, caf::exit_reason::user_shutdown);
              attempt_failed(self, index,
                             err == caf::sec::request_timeout
                               ? "no answer to the handshake within "
                                   + millis(self->state.opts.peer_timeout)
                               : "handshake refused: " + render(self, err));
            });
      },
      [self, index](caf::error& err) {
        attempt_failed(self, index, render(self, err));
      });
}

} // namespace

std::vector<core::peer_stats> peer_stats_of(mesh_shared& shared) {
  std::vector<core::peer_stats> result;
  {
    std::lock_guard<std::mutex> guard{shared.mtx};
    // Configured peers that never connected have no name yet.
    for (auto& p : shared.peers)
      if (p.name.empty())
        result.push_back(core::peer_stats{{}, p.address, false});
    for (auto& [name, record] : shared.records) {
      auto x = record.totals;
      x.name = name;
      x.up = !record.live.empty();
      for (auto& c : record.live)
        c->add_to(x);
      result.push_back(std::move(x));
    }
  }
  if (shared.traffic)
    for (auto& x : result) {
      auto bytes = shared.traffic->bytes_of(x.name);
      x.bytes_in = bytes.in;
      x.bytes_out = bytes.out;
    }
  std::sort(result.begin(), result.end(), [](auto& x, auto& y) {
    return std::tie(x.name, x.address) < std::tie(y.name, y.address);
  });
  return result;
}

caf::behavior mesh_actor(caf::stateful_actor<mesh_state>* self,
                         mesh_options opts, caf::actor registry,
                         std::shared_ptr<directory_cell> dir,
                         std::shared_ptr<mesh_shared> shared,
                         caf::io::middleman_actor transport,
                         identify_fn identify) {
  auto& st = self->state;
  st.transport = std::move(transport);
  st.identify = std::move(identify);
  st.table = std::make_unique<core::mesh_table>(opts.name);
  st.opts = std::move(opts);
  st.registry = std::move(registry);
  st.dir = std::move(dir);
  st.shared = std::move(shared);
  self->send(st.registry, mesh_atom::value, caf::actor{self}, st.opts.name);
  self->send(st.registry, watch_atom::value, caf::actor{self});
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    auto i = st.link_ids.find(dm.source);
    if (i == st.link_ids.end()) {
      // A peer's registry that went away during the handshake.
      for (size_t index = 0; index < st.targets.size(); ++index) {
        auto& t = st.targets[index];
        if (t.handshake && t.handshake == dm.source) {
          t.handshake = nullptr;
          if (auto l = st.links.find(t.link); l != st.links.end())
            self->send_exit(l->second.handle, caf::exit_reason::user_shutdown);
          attempt_failed(self, index,
                         "the peer went away during the handshake ("
                           + render(self, dm.reason) + ")");
        }
      }
      return;
    }
    auto id = i->second;
    st.link_ids.erase(i);
    auto l = std::move(st.links.at(id));
    st.links.erase(id);
    st.table->drop_link(id);
    if (l.up)
      count_link_down(self, l);
    if (l.target >= 0) {
      auto index = static_cast<size_t>(l.target);
      auto& t = st.targets[index];
      if (t.link == id && l.up) {
        // Dial again after retry_min (not at once: CAF may still hand out
        // the old connection while it notices the loss), then back off.
        t.link = 0;
        t.backoff = st.opts.retry_min;
        schedule_retry(self, index);
      }
    }
    recompute(self);
    if (l.up)
      log(self, "peer '" + l.peer + "' down: " + message_of(dm.reason));
  });
  self->set_exit_handler([self](caf::exit_msg& em) {
    auto& st = self->state;
    for (auto& [id, l] : st.links)
      self->send_exit(l.handle, em.reason);
    st.dir->store_remote(std::make_shared<const remote_routes>());
    self->send(st.registry, mesh_atom::value, caf::actor{}, st.opts.name);
    self->send(st.registry, unwatch_atom::value, caf::actor{self});
    self->quit(em.reason);
  });
  return {
    [self](join_atom, std::string& host, uint16_t port) {
      auto& st = self->state;
      mesh_state::target t;
      t.host = std::move(host);
      t.port = port;
      t.backoff = st.opts.retry_min;
      st.targets.push_back(std::move(t));
      attempt(self, st.targets.size() - 1);
      publish_shared(self);
    },
    [self](retry_atom, uint64_t index) {
      if (index < self->state.targets.size())
        attempt(self, index);
    },
    // A peer dialled this node (the front door checked who it is and asks
    // on its behalf; nothing else may).
    [self](hello_atom, std::string& name,
           caf::actor& peer) -> caf::result<caf::message> {
      auto& sender = self->current_sender();
      if (!sender || sender->node() != self->node())
        return make_error(error_code::forbidden,
                          "only the node's front door may add a peer");
      if (!peer)
        return make_error(error_code::bad_request,
                          "a peer must send its name and its link");
      if (auto why = refusal(self, name, peer.node(), 0))
        return make_error(error_code::bad_request, *why);
      auto& st = self->state;
      auto id = spawn_link(self, name, peer, -1);
      auto& l = st.links.at(id);
      l.peer_node = peer.node();
      auto handle = l.handle;
      link_up(self, id, "peer '" + name + "' connected");
      return caf::make_message(st.opts.name, std::move(handle));
    },
    // A link passes on what its peer advertises.
    [self](learned_atom, std::vector<core::advert>& xs) {
      auto& st = self->state;
      auto i = st.link_ids.find(
        caf::actor_cast<caf::actor_addr>(self->current_sender()));
      if (i == st.link_ids.end())
        return;
      auto& l = st.links.at(i->second);
      if (!l.up) {
        l.early = std::move(xs);
        return;
      }
      st.table->set_link(i->second, l.peer, std::move(xs));
      recompute(self);
    },
    // The registry's watch: the routes this node serves.
    // A batch (startup, reload) brings thousands of events at once: they
    // collect in `local` and the table is recomputed once, after the
    // mailbox holds no more of them (a self-sent flush queues behind).
    [self](route_event_atom, core::route_event& ev) {
      auto& st = self->state;
      if (!st.local)
        st.local = st.table->local();
      if (ev.change == core::route_change::removed)
        st.local->erase(ev.route.name);
      else
        st.local->insert(ev.route.name);
      if (!st.local_flush_scheduled) {
        st.local_flush_scheduled = true;
        self->send(self, flush_atom::value);
      }
    },
    [self](flush_atom) {
      auto& st = self->state;
      st.local_flush_scheduled = false;
      if (!st.local)
        return;
      auto local = std::move(*st.local);
      st.local.reset();
      if (local == st.table->local())
        return;
      st.table->set_local(std::move(local));
      recompute(self);
    },
  };
}

} // namespace switchboard::detail
