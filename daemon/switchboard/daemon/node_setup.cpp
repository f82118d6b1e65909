#include "switchboard/daemon/node_setup.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>

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

} // namespace

node_plan plan_node(const config::node_config& cfg) {
  node_plan plan;
  if (cfg.tls) {
    auto check = [&](const char* key, const std::string& path,
                     const config::source_position& where) {
      if (auto why = unreadable(path))
        plan.problems.push_back({where, "tls." + std::string{key}
                                          + ": cannot read '" + path
                                          + "': " + *why});
    };
    check("certificate", cfg.tls->certificate, cfg.tls->certificate_position);
    check("key", cfg.tls->key, cfg.tls->key_position);
    check("ca", cfg.tls->ca, cfg.tls->ca_position);
  }
  auto problem = [&](const config::route_config& r, std::string msg) {
    plan.problems.push_back({r.handler_position, std::move(msg)});
  };
  for (auto& r : cfg.routes) {
    core::route_options opts;
    opts.workers = r.workers;
    opts.policy = r.policy;
    opts.timeout = r.timeout.value_or(cfg.limits.timeout);
    opts.max_in_flight = r.max_in_flight.value_or(cfg.limits.max_in_flight);
    auto max_payload = r.max_payload.value_or(cfg.limits.max_payload);
    auto label = "route '" + r.name + "'";
    switch (r.kind) {
      case config::handler_kind::builtin: {
        auto h = make_builtin(r.builtin);
        if (!h) {
          std::string known;
          for (auto& n : builtin_names())
            known += (known.empty() ? "" : ", ") + n;
          problem(r, label + ": unknown built-in handler '" + r.builtin
                       + "' (known: " + known + ")");
          continue;
        }
        plan.routes.push_back({{r.name, *h, opts}, r});
        break;
      }
      case config::handler_kind::exec: {
        exec_spec spec{r.argv, r.env, max_payload};
        spec.argv[0] = resolve_program(r.argv[0]);
        if (::access(spec.argv[0].c_str(), F_OK) != 0) {
          problem(r, label + ": exec program '" + r.argv[0]
                       + "' does not exist");
          continue;
        }
        if (::access(spec.argv[0].c_str(), X_OK) != 0) {
          problem(r, label + ": exec program '" + r.argv[0]
                       + "' is not executable");
          continue;
        }
        plan.routes.push_back({{r.name, exec_handler(std::move(spec)), opts}, r});
        break;
      }
      case config::handler_kind::plugin: {
        auto routes = load_plugin(r.plugin, r.name);
        if (!routes) {
          problem(r, label + ": " + message_of(routes.error()));
          continue;
        }
        for (auto& [name, h] : *routes)
          plan.routes.push_back(
            {{name, handler{h.factory(), "plugin"}, opts}, r});
        break;
      }
    }
  }
  // Report in document order: [tls] may stand after the routes.
  std::stable_sort(plan.problems.begin(), plan.problems.end(),
                   [](const config::problem& x, const config::problem& y) {
                     return x.where.line != y.where.line
                              ? x.where.line < y.where.line
                              : x.where.column < y.where.column;
                   });
  return plan;
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
