#include "switchboard/mesh.hpp"

#include <algorithm>
#include <iostream>
#include <stdexcept>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/send.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/detail/mesh_actor.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/detail/router_core.hpp"

namespace switchboard {

void configure_mesh(caf::actor_system_config& cfg, const tls_files* tls) {
  cfg.load<caf::io::middleman>();
  if (tls != nullptr) {
    cfg.load<caf::openssl::manager>();
    cfg.set("openssl.certificate", tls->certificate);
    cfg.set("openssl.key", tls->key);
    cfg.set("openssl.cafile", tls->ca);
  }
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
  if (opts.tls && !router_.system().has_openssl_manager())
    throw std::invalid_argument(
      "mesh: tls needs a system configured by configure_mesh with TLS files");
  tls_ = opts.tls;
  if (opts.max_batch == 0)
    throw std::invalid_argument("mesh: max_batch must be at least 1");
  if (!opts.log)
    opts.log = [](const std::string& line) {
      std::cerr << ("mesh: " + line + "\n") << std::flush;
    };
  shared_ = std::make_shared<detail::mesh_shared>();
  shared_->name = opts.name;
  actor_ = router_.system().spawn(detail::mesh_actor, std::move(opts),
                                  router_.registry(), router_.core()->dir,
                                  shared_);
}

mesh::~mesh() {
  caf::anon_send_exit(actor_, caf::exit_reason::user_shutdown);
}

caf::expected<uint16_t> mesh::listen(uint16_t port, const std::string& host) {
  auto& sys = router_.system();
  if (tls_)
    return caf::openssl::publish(router_.registry(), port, host.c_str(), true);
  return sys.middleman().publish(router_.registry(), port, host.c_str(), true);
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
  return shared_->changed.wait_for(guard, timeout, [&] {
    return shared_->reachable.count(route) != 0;
  });
}

const std::string& mesh::name() const {
  return shared_->name;
}

} // namespace switchboard
