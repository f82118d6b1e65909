#include <catch2/catch.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "switchboard/daemon/watchdog.hpp"

using namespace std::chrono_literals;

namespace {

struct reports {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<std::string> lines;

  bool wait(size_t n, std::chrono::milliseconds limit) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, limit, [&] { return lines.size() >= n; });
  }
};

caf::behavior idle(caf::event_based_actor*) {
  return {[](int32_t) {}};
}

} // namespace

TEST_CASE("the watchdog reports the first essential actor that stops, once") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto registry = sys.spawn(idle);
  auto door = sys.spawn(idle);
  auto seen = std::make_shared<reports>();
  auto dog = switchboard::daemon::watch_essentials(
    sys, {{"router", registry}, {"front door", door}},
    [seen](const std::string& what) {
      {
        std::lock_guard<std::mutex> guard{seen->mtx};
        seen->lines.push_back(what);
      }
      seen->changed.notify_all();
    });
  caf::anon_send_exit(door, caf::exit_reason::kill);
  REQUIRE(seen->wait(1, 10s));
  caf::anon_send_exit(registry, caf::exit_reason::kill);
  CHECK_FALSE(seen->wait(2, 200ms));
  std::lock_guard<std::mutex> guard{seen->mtx};
  REQUIRE(seen->lines.size() == 1);
  CHECK(seen->lines[0].rfind("front door (", 0) == 0);
}

TEST_CASE("a stopped watchdog reports nothing when the node stops in order") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  caf::actor_system sys{cfg};
  auto registry = sys.spawn(idle);
  auto seen = std::make_shared<reports>();
  auto dog = switchboard::daemon::watch_essentials(
    sys, {{"router", registry}}, [seen](const std::string& what) {
      {
        std::lock_guard<std::mutex> guard{seen->mtx};
        seen->lines.push_back(what);
      }
      seen->changed.notify_all();
    });
  caf::anon_send_exit(dog, caf::exit_reason::user_shutdown);
  {
    caf::scoped_actor self{sys};
    self->wait_for(dog);
  }
  caf::anon_send_exit(registry, caf::exit_reason::kill);
  CHECK_FALSE(seen->wait(1, 200ms));
}
