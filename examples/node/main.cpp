// An application that embeds the router and joins a mesh: it serves one
// route of its own, connects to a switchboard daemon, and from then on its
// route is callable through the daemon (and the daemon's routes from here).
//
//   node_example [--name NAME] HOST:PORT
//
// Prints "attached to <peer>" once connected, answers one call of a route
// the daemon serves (if it serves `echo`), and runs until stdin closes.

#include <iostream>
#include <string>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>

#include "switchboard/mesh.hpp"
#include "switchboard/switchboard.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

int main(int argc, char** argv) {
  std::string name = "embedded";
  std::string address;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--name" && i + 1 < argc)
      name = argv[++i];
    else
      address = arg;
  }
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "usage: node_example [--name NAME] HOST:PORT\n";
    return 2;
  }
  auto host = address.substr(0, colon);
  auto port = static_cast<uint16_t>(std::stoi(address.substr(colon + 1)));

  // 1. An actor system that can join a mesh (middleman + message types).
  caf::actor_system_config cfg;
  configure_mesh(cfg);
  caf::actor_system sys{cfg};

  // 2. A router with the application's own route.
  router sb{sys};
  auto err = sb.add("greet", [name](std::string who) {
    return "hello, " + who + ", from " + name;
  });
  if (err) {
    std::cerr << "cannot add route: " << describe(err) << '\n';
    return 1;
  }

  // 3. Join the mesh through the daemon; reconnects by itself if the
  //    daemon restarts.
  mesh_options opts;
  opts.name = name;
  mesh net{sb.ref(), opts};
  net.connect(host, port);
  if (!net.wait_for_peers(1, 10s)) {
    std::cerr << "could not reach " << address << " within 10s; still trying\n";
    net.wait_for_peers(1, std::chrono::hours{24});
  }
  std::cout << "attached to " << net.peers().front().name << std::endl;

  // 4. Call one of the daemon's routes by name, as if it were local.
  if (net.wait_for_route("echo", 2s)) {
    sys.spawn([ref = sb.ref()](caf::event_based_actor* caller) {
      ref.call(caller, "echo", std::string{"ping through the mesh"})
        .then(
          [caller](const std::string& out) {
            std::cout << "echo answered: " << out << std::endl;
            caller->quit();
          },
          [caller](const caf::error& e) {
            std::cout << "echo failed: " << describe(e) << std::endl;
            caller->quit();
          });
      // A behavior keeps the caller alive until the reply arrives.
      return caf::behavior{[](caf::unit_t) {}};
    });
  }

  // 5. Serve until stdin closes (Ctrl-D, or the parent process ends).
  std::string line;
  while (std::getline(std::cin, line))
    ; // nop
  return 0;
}
