#include "switchboard/daemon/node_setup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>

#include "switchboard/core/route_name.hpp"
#include "switchboard/daemon/builtins.hpp"
#include "switchboard/daemon/exec_handler.hpp"
#include "switchboard/daemon/plugin_loader.hpp"

namespace switchboard::daemon {

namespace {

/// Resolves a program name the way a user expects, without a shell: a path
/// with a slash is taken as is, a bare name is searched in PATH.
std::string resolve_program(const std::string& name) {
  if (name.find('/') != std::string::npos)
    return name;
  auto path = std::getenv("PATH");
  std::istringstream dirs{path != nullptr ? path : "/usr/bin:/bin"};
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    auto candidate = (dir.empty() ? std::string{"."} : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0)
      return candidate;
  }
  return name;
}

/// Why the file at `path` cannot be read, or nothing if it can: it must
/// open for reading and be a regular file (or a link to one).
std::optional<std::string> unreadable(const std::string& path) {
  auto fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::string{std::strerror(errno)};
  struct stat st;
  auto failed = ::fstat(fd, &st) != 0;
  auto err = errno;
  ::close(fd);
  if (failed)
    return std::string{std::strerror(err)};
  if (S_ISDIR(st.st_mode))
    return std::string{std::strerror(EISDIR)};
  return std::nullopt;
}

/// Why `path` (already resolved) cannot be run as an exec program, or
/// nothing: it must exist, be a regular file (or a link to one) and be
/// executable.
std::optional<std::string> not_runnable(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return errno == ENOENT ? std::string{"does not exist"}
                           : std::string{"cannot be used: "}
                               + std::strerror(errno);
  if (S_ISDIR(st.st_mode))
    return std::string{"is a directory"};
  if (!S_ISREG(st.st_mode))
    return std::string{"is not a regular file"};
  if (::access(path.c_str(), X_OK) != 0)
    return std::string{"is not executable"};
  return std::nullopt;
}

/// Builds `node_plan`, one problem at a time.
class planner {
public:
  explicit planner(const config::node_config& cfg) : cfg_(cfg) {
    // nop
  }

  node_plan run() {
    check_tls();
    // Names of the routes the configuration gives directly, so that a
    // plugin standing before one of them is still checked against it.
    for (auto& r : cfg_.routes)
      if (r.kind != config::handler_kind::plugin)
        names_.emplace(r.name, "the [[route]] at line "
                                 + std::to_string(r.position.line));
    for (auto& r : cfg_.routes)
      plan_route(r);
    // Report in document order: [tls] may stand after the routes.
    std::stable_sort(plan_.problems.begin(), plan_.problems.end(),
                     [](const config::problem& x, const config::problem& y) {
                       return x.where.line != y.where.line
                                ? x.where.line < y.where.line
                                : x.where.column < y.where.column;
                     });
    return std::move(plan_);
  }

private:
  void check_tls() {
    if (!cfg_.tls)
      return;
    auto& tls = *cfg_.tls;
    check_tls_file("certificate", tls.certificate, tls.certificate_position);
    check_tls_file("key", tls.key, tls.key_position);
    check_tls_file("ca", tls.ca, tls.ca_position);
  }

  void check_tls_file(const char* key, const std::string& path,
                      const config::source_position& where) {
    if (auto why = unreadable(path))
      plan_.problems.push_back({where, "tls." + std::string{key}
                                         + ": cannot read '" + path
                                         + "': " + *why});
  }

  void problem(const config::route_config& r, std::string msg) {
    plan_.problems.push_back({r.handler_position, std::move(msg)});
  }

  core::route_options options_of(const config::route_config& r) const {
    core::route_options opts;
    opts.workers = r.workers;
    opts.policy = r.policy;
    opts.timeout = r.timeout.value_or(cfg_.limits.timeout);
    opts.max_in_flight = r.max_in_flight.value_or(cfg_.limits.max_in_flight);
    // Checked on entry for every route kind, remote calls included.
    opts.max_payload = r.max_payload.value_or(cfg_.limits.max_payload);
    return opts;
  }

  void plan_route(const config::route_config& r) {
    auto opts = options_of(r);
    auto label = "route '" + r.name + "'";
    // The router refuses these too; found here, check-config sees them.
    if (auto why = core::validate(opts); !why.empty()) {
      plan_.problems.push_back({r.position, label + ": " + why});
      return;
    }
    switch (r.kind) {
      case config::handler_kind::builtin:
        plan_builtin(r, opts, label);
        break;
      case config::handler_kind::exec:
        plan_exec(r, opts, label);
        break;
      case config::handler_kind::plugin:
        plan_plugin(r, opts, label);
        break;
    }
  }

  void plan_builtin(const config::route_config& r,
                    const core::route_options& opts, const std::string& label) {
    auto h = make_builtin(r.builtin);
    if (!h) {
      std::string known;
      for (auto& n : builtin_names())
        known += (known.empty() ? "" : ", ") + n;
      problem(r, label + ": unknown built-in handler '" + r.builtin
                   + "' (known: " + known + ")");
      return;
    }
    // Each built-in returns at once (echo, size and fail look at the
    // payload; sleep defers on a timer): a caller that would wait for it
    // may run it on its own thread.
    auto builtin_opts = opts;
    builtin_opts.caller_runs = true;
    plan_.routes.push_back({{r.name, *h, builtin_opts}, r});
  }

  void plan_exec(const config::route_config& r,
                 const core::route_options& opts, const std::string& label) {
    auto max_payload = r.max_payload.value_or(cfg_.limits.max_payload);
    exec_spec spec{r.argv, r.env, max_payload};
    spec.argv[0] = resolve_program(r.argv[0]);
    if (auto why = not_runnable(spec.argv[0])) {
      problem(r, label + ": exec program '" + r.argv[0] + "' " + *why);
      return;
    }
    plan_.routes.push_back({{r.name, exec_handler(std::move(spec)), opts}, r});
  }

  void plan_plugin(const config::route_config& r,
                   const core::route_options& opts, const std::string& label) {
    auto routes = load_plugin(r.plugin, r.name);
    if (!routes) {
      problem(r, label + ": " + message_of(routes.error()));
      return;
    }
    // All or nothing: a plugin with one bad name adds no route.
    auto ok = true;
    for (auto& [name, h] : *routes)
      ok = check_plugin_route(r, label, name, h) && ok;
    if (!ok)
      return;
    for (auto& [name, h] : *routes)
      plan_.routes.push_back({{name, handler{h.factory(), "plugin"}, opts}, r});
  }

  /// Whether `name`, added by the plugin of `r`, is a usable route name
  /// that no other route has; reports it if not.
  bool check_plugin_route(const config::route_config& r,
                          const std::string& label, const std::string& name,
                          const handler& h) {
    auto prefix = label + ": plugin '" + r.plugin + "' adds a route ";
    if (auto why = core::route_name_problem(name); !why.empty()) {
      problem(r, prefix + "with an unusable name: " + why);
      return false;
    }
    // Workers are made from the factory; a handler of existing actors
    // (`handler::from_actors`) or an empty one has none.
    if (!h.factory()) {
      problem(r, prefix + "named '" + name + "' without a handler factory "
                   + "(a plugin's handlers must be functions, not actors)");
      return false;
    }
    auto here = "the plugin of route '" + r.name + "' (line "
                + std::to_string(r.position.line) + ")";
    auto [i, added] = names_.emplace(name, here);
    if (added)
      return true;
    if (i->second == here)
      problem(r, prefix + "named '" + name + "' twice (duplicate route name)");
    else
      problem(r, prefix + "named '" + name + "', which " + i->second
                   + " already has (duplicate route name)");
    return false;
  }

  const config::node_config& cfg_;
  node_plan plan_;
  /// Every route name planned so far, with who has it.
  std::map<std::string, std::string> names_;
};

} // namespace

node_plan plan_node(const config::node_config& cfg) {
  return planner{cfg}.run();
}

bool same_route(const config::route_config& x,
                const config::route_config& y) {
  return x.name == y.name && x.kind == y.kind && x.builtin == y.builtin
         && x.argv == y.argv && x.env == y.env && x.plugin == y.plugin
         && x.workers == y.workers && x.policy == y.policy
         && x.timeout == y.timeout && x.max_in_flight == y.max_in_flight
         && x.max_payload == y.max_payload;
}

} // namespace switchboard::daemon
