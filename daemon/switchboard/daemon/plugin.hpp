#pragma once

#include <string>
#include <type_traits>
#include <utility>

#include "switchboard/handler.hpp"

namespace switchboard::daemon {

/// What a plugin's entry point gets: a way to add routes.
///
/// A plugin is a shared library that defines
///
///     extern "C" void switchboard_plugin_init(
///       switchboard::daemon::plugin_context& ctx);
///
/// and calls `ctx.add(...)` for each route it serves, with any handler form
/// of the library (functions, asynchronous handlers, per-worker state, ...).
/// `ctx.name()` is the name the configuration gave the `[[route]]` that
/// loads the plugin; a plugin serving one route uses it. Every route takes
/// its options (workers, policy, limits) from that `[[route]]`. Build the
/// plugin with the same compiler and switchboard headers as the daemon
/// (`examples/plugin/` shows the CMake side); the daemon keeps it loaded.
class plugin_context {
public:
  virtual ~plugin_context();

  /// The configured route name.
  virtual const std::string& name() const = 0;

  /// Adds a route.
  virtual void add(std::string name, handler impl) = 0;

  template <class F,
            class = std::enable_if_t<!std::is_same_v<std::decay_t<F>, handler>>>
  void add(std::string name, F fun) {
    add(std::move(name), make_handler(std::move(fun)));
  }
};

/// The entry point's name, as `dlsym` looks it up.
inline constexpr const char* plugin_entry_point = "switchboard_plugin_init";

/// Signature of the entry point.
using plugin_init_fn = void (*)(plugin_context&);

} // namespace switchboard::daemon
