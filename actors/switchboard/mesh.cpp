#include "switchboard/mesh.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/loopback.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/detail/fd_rotation.hpp"
#include "switchboard/detail/front_door.hpp"
#include "switchboard/detail/identity_table.hpp"
#include "switchboard/detail/mesh_actor.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/detail/router_core.hpp"
#include "switchboard/detail/deserializer_bounds.hpp"
#include "switchboard/detail/transport.hpp"
#include "switchboard/error.hpp"

namespace switchboard {

void configure_mesh(caf::actor_system_config& cfg, const tls_files* tls) {
  detail::bound_deserializer();
  cfg.load<caf::io::middleman>();
  if (tls != nullptr) {
    cfg.openssl_certificate = tls->certificate;
    cfg.openssl_key = tls->key;
    cfg.openssl_cafile = tls->ca;
  }
  // Only where the application chose no policy: see the API doc.
  if (caf::get_if(&cfg.content, "scheduler.policy") == nullptr)
    cfg.set("scheduler.policy", caf::atom("sharing"));
  register_error_category(cfg);
  cfg.add_message_type<detail::wire_request>("switchboard::wire_request");
  cfg.add_message_type<std::vector<detail::wire_request>>(
    "std::vector<switchboard::wire_request>");
  cfg.add_message_type<detail::wire_reply>("switchboard::wire_reply");
  cfg.add_message_type<std::vector<detail::wire_reply>>(
    "std::vector<switchboard::wire_reply>");
  cfg.add_message_type<core::advert>("switchboard::advert");
  cfg.add_message_type<std::vector<core::advert>>(
    "std::vector<switchboard::advert>");
  cfg.add_message_type<core::peer_stats>("switchboard::peer_stats");
  cfg.add_message_type<std::vector<core::peer_stats>>(
    "std::vector<switchboard::peer_stats>");
}

mesh::mesh(router_ref r, mesh_options opts) : router_(std::move(r)) {
  if (opts.name.empty())
    throw std::invalid_argument("mesh: a node needs a name");
  if (opts.heartbeat <= caf::timespan{0}
      || opts.peer_timeout < 2 * opts.heartbeat)
    throw std::invalid_argument(
      "mesh: heartbeat must be positive and peer_timeout at least twice it");
  if (opts.retry_min <= caf::timespan{0} || opts.retry_max < opts.retry_min)
    throw std::invalid_argument("mesh: need 0 < retry_min <= retry_max");
  auto& sys_cfg = router_.system().config();
  if (opts.tls
      && (sys_cfg.openssl_certificate.empty() || sys_cfg.openssl_key.empty()
          || sys_cfg.openssl_cafile.empty()))
    throw std::invalid_argument(
      "mesh: tls needs a system configured by configure_mesh with TLS files");
  tls_ = opts.tls;
  if (opts.max_batch == 0)
    throw std::invalid_argument("mesh: max_batch must be at least 1");
  if (!opts.log)
    opts.log = [](const std::string& line) {
      std::cerr << ("mesh: " + line + "\n") << std::flush;
    };
  insecure_ = opts.insecure;
  shared_ = std::make_shared<detail::mesh_shared>();
  shared_->name = opts.name;
  shared_->traffic = std::make_shared<detail::traffic_table>();
  // The transport: frames bounded beneath BASP, TLS with identities.
  auto ids = std::make_shared<detail::identity_table>();
  identities_ = ids;
  detail::transport_options topts;
  topts.max_frame
    = opts.max_frame != 0 ? opts.max_frame : opts.max_batch_bytes + (2u << 20);
  if (opts.tls)
    topts.tls = tls_files{sys_cfg.openssl_certificate, sys_cfg.openssl_key,
                          sys_cfg.openssl_cafile};
  topts.log = opts.log;
  topts.traffic = shared_->traffic;
  if (!opts.custom_types.empty()) {
    auto types = std::make_shared<detail::frame_guard::custom_types>();
    if (auto err = types->assign(opts.custom_types); !err.empty())
      throw std::invalid_argument("mesh: " + err);
    topts.custom_types = std::move(types);
  }
  auto transport
    = detail::spawn_transport(router_.system(), std::move(topts), ids);
  if (!transport)
    throw std::invalid_argument("mesh: cannot start the transport: "
                                + router_.system().render(transport.error()));
  transport_ = caf::actor_cast<caf::actor>(*transport);
  detail::identify_fn identify;
  if (opts.tls)
    identify
      = [ids](const caf::node_id& node) { return ids->subject_of(node); };
  detail::front_door_config fd;
  fd.registry = router_.registry();
  fd.policy = std::make_shared<const core::access_policy>(opts.allow);
  fd.tls = opts.tls;
  fd.log = opts.log;
  fd.identify = identify;
  fd.peer_stats = [shared = shared_] { return detail::peer_stats_of(*shared); };
  actor_ = router_.system().spawn(detail::mesh_actor, std::move(opts),
                                  router_.registry(), router_.core()->dir,
                                  shared_, *transport, identify);
  fd.mesh = actor_;
  front_door_ = router_.system().spawn<detail::front_door_actor>(std::move(fd));
}

mesh::~mesh() {
  // With a sender of this node: the front door drops anonymous exits,
  // which may come from anywhere.
  caf::scoped_actor self{router_.system()};
  self->send_exit(front_door_, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

caf::actor mesh::front_door() const {
  return front_door_;
}

caf::expected<uint16_t> mesh::listen(uint16_t port, const std::string& host) {
  if (!tls_ && !insecure_ && !core::is_loopback(host))
    return make_error(error_code::forbidden,
                      "refusing to listen on '" + host
                        + "' without TLS: plain TCP authenticates no one, so "
                          "a node listens only on loopback unless it has TLS "
                          "or is set insecure");
  return detail::transport_publish(
    router_.system(), caf::actor_cast<caf::io::middleman_actor>(transport_),
    front_door_, port, host, true);
}

bool raise_fd_limit() {
  return detail::raise_fd_limit();
}

void mesh::connect(const std::string& host, uint16_t port) {
  caf::anon_send(actor_, join_atom::value, host, port);
}

std::vector<peer_info> mesh::peers() const {
  std::lock_guard<std::mutex> guard{shared_->mtx};
  return shared_->peers;
}

bool mesh::wait_for_peers(size_t n, caf::timespan timeout) const {
  std::unique_lock<std::mutex> guard{shared_->mtx};
  return shared_->changed.wait_for(guard, timeout, [&] {
    return static_cast<size_t>(
             std::count_if(shared_->peers.begin(), shared_->peers.end(),
                           [](const peer_info& x) { return x.connected; }))
           >= n;
  });
}

bool mesh::wait_for_route(const std::string& route,
                          caf::timespan timeout) const {
  std::unique_lock<std::mutex> guard{shared_->mtx};
  return shared_->changed.wait_for(
    guard, timeout, [&] { return shared_->reachable.count(route) != 0; });
}

std::vector<core::peer_stats> mesh::peer_stats() const {
  return detail::peer_stats_of(*shared_);
}

const std::string& mesh::name() const {
  return shared_->name;
}

} // namespace switchboard
