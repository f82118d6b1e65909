#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "switchboard/switchboard.hpp"

namespace switchboard::test {

/// What one call ended with; `replies` counts how often a continuation ran.
struct outcome {
  std::optional<caf::message> value;
  std::optional<caf::error> error;
  int replies = 0;

  bool ok() const {
    return replies == 1 && value.has_value();
  }

  /// The error code, or nothing if the call succeeded or is unanswered.
  std::optional<error_code> code() const {
    return error ? code_of(*error) : std::nullopt;
  }

  template <class T>
  T as() const {
    return value->get_as<T>(0);
  }
};

using outcome_ptr = std::shared_ptr<outcome>;

/// A router on CAF's deterministic test coordinator: nothing runs until
/// the test calls `run()`, and time moves only by `advance()`.
class fixture {
public:
  fixture();
  ~fixture();

  /// Runs every runnable actor until nothing is left to do.
  void run();

  /// Moves the clock forward and fires the timeouts that became due.
  void advance(std::chrono::nanoseconds d);

  /// Sends an admin request to the registry and returns its error (none on
  /// success), after running the system.
  caf::error admin(caf::message msg);

  caf::error add(std::string name, handler impl, core::route_options opts = {});

  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, handler>>>
  caf::error add(std::string name, F fun, core::route_options opts = {}) {
    return add(std::move(name), make_handler(std::move(fun)), opts);
  }

  caf::error replace(std::string name, handler impl,
                     core::route_options opts = {});

  caf::error remove(std::string name);

  std::vector<core::route_info> list();

  /// Issues a call by name from a fresh caller actor; does not run.
  outcome_ptr call(std::string route, caf::message args,
                   std::optional<caf::timespan> timeout = std::nullopt);

  /// Issues a call through a handle from a fresh caller actor; does not run.
  outcome_ptr call(route_handle handle, caf::message args);

  /// The pool of a route, by resolving it.
  std::vector<caf::actor> workers(const std::string& name);

  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::unique_ptr<router> sb;
};

} // namespace switchboard::test
