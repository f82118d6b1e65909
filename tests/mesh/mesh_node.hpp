#pragma once

// Real actor systems joined into a mesh over 127.0.0.1, for the mesh's
// library tests. Every wait is bounded; nothing sleeps.

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/mesh.hpp"
#include "switchboard/switchboard.hpp"

namespace switchboard::test {

using namespace std::chrono_literals;

/// One node: an actor system, a router and its mesh, listening on an
/// OS-picked port of 127.0.0.1.
struct mesh_node {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::optional<router> sb;
  std::optional<switchboard::mesh> net;
  uint16_t port = 0;

  explicit mesh_node(const std::string& name, mesh_options opts = {},
                     const tls_files* tls = nullptr) {
    cfg.set("scheduler.max-threads", 2);
    configure_mesh(cfg, tls);
    sys.emplace(cfg);
    sb.emplace(*sys);
    opts.name = name;
    opts.tls = tls != nullptr;
    // SWITCHBOARD_TEST_LOG=1 shows what the meshes log.
    if (!opts.log && std::getenv("SWITCHBOARD_TEST_LOG") == nullptr)
      opts.log = [](const std::string&) {};
    net.emplace(sb->ref(), std::move(opts));
    auto p = net->listen(0, "127.0.0.1");
    if (p)
      port = *p;
  }

  ~mesh_node() {
    net.reset();
    sb.reset();
  }

  void connect(const mesh_node& other) {
    net->connect("127.0.0.1", other.port);
  }

  /// Calls `route` by name with the library API and waits for the reply.
  caf::expected<caf::message> call(const std::string& route,
                                   caf::message args,
                                   caf::timespan timeout = 10s) {
    caf::scoped_actor waiter{*sys};
    auto dest = caf::actor{waiter};
    auto ref = sb->ref();
    sys->spawn([=](caf::event_based_actor* self) {
      ref.call(self, route, args)
        .timeout(timeout)
        .then(
          [self, dest](caf::message& out) {
            // Tagged: a lone message would be sent as its contents.
            self->send(dest, caf::ok_atom::value, out);
            self->quit();
          },
          [self, dest](caf::error& err) {
            self->send(dest, err);
            self->quit();
          });
      return caf::behavior{[](int32_t) {}};
    });
    caf::expected<caf::message> result{caf::error{}};
    waiter->receive([&](caf::ok_atom, caf::message& out) { result = out; },
                    [&](caf::error& err) { result = std::move(err); });
    return result;
  }
};

} // namespace switchboard::test
