// switchboard: the standalone node and its command line.
//
//   switchboard serve [--config FILE]
//   switchboard call [--connect HOST:PORT] [--timeout D] [TLS] ROUTE [PAYLOAD]
//   switchboard routes [--connect HOST:PORT] [--timeout D] [--json] [TLS]
//     TLS = --tls-cert FILE --tls-key FILE --tls-ca FILE (for a [tls] node)
//   switchboard check-config FILE
//
// Exit codes: 0 success; 1 the route answered an error (`forbidden`
// among them); 2 usage or configuration error; 3 cannot reach the node
// within --timeout. `serve` exits 0 after a complete drain, 1 when a second
// SIGTERM/SIGINT cut the drain short, 2 on a bad configuration, 4 when the
// router or the front door stopped unexpectedly.

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <iostream>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <unordered_map>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/config/node_config.hpp"
#include "switchboard/daemon/http_front_door.hpp"
#include "switchboard/daemon/logger.hpp"
#include "switchboard/daemon/mesh_log.hpp"
#include "switchboard/daemon/node_setup.hpp"
#include "switchboard/daemon/notify.hpp"
#include "switchboard/daemon/render.hpp"
#include "switchboard/daemon/watchdog.hpp"
#include "switchboard/detail/identity_table.hpp"
#include "switchboard/detail/transport.hpp"
#include "switchboard/mesh.hpp"
#include "switchboard/switchboard.hpp"

using namespace switchboard;

namespace {

constexpr int exit_ok = 0;
constexpr int exit_route_error = 1;
constexpr int exit_usage = 2;
constexpr int exit_unreachable = 3;
constexpr int exit_essential_down = 4;
constexpr int exit_drain_cut = 1;

void print_problems(const std::vector<config::problem>& xs) {
  for (auto& x : xs)
    std::cerr << config::to_string(x) << '\n';
}

/// A configuration read and planned, or every problem it has.
struct read_result {
  std::optional<std::pair<config::node_config, daemon::node_plan>> ok;
  std::vector<config::problem> problems;
};

/// Reads and plans a configuration.
read_result read_config(const std::string& path) {
  auto loaded = path.empty() ? config::parse_config(config::default_config_text,
                                                    "<built-in default>")
                             : config::load_config_file(path);
  if (!loaded.config)
    return {std::nullopt, std::move(loaded.problems)};
  auto plan = daemon::plan_node(*loaded.config);
  if (!plan.problems.empty())
    return {std::nullopt, std::move(plan.problems)};
  return {std::make_pair(std::move(*loaded.config), std::move(plan)), {}};
}

/// Per-route lines of one batch of changes (start or reload) are written
/// at level info up to this many routes, beyond at level debug: a node
/// of 100 000 routes starts with one summary line, not 100 000.
constexpr size_t max_route_lines = 100;

config::log_level route_line_level(size_t batch) {
  return batch <= max_route_lines ? config::log_level::info
                                  : config::log_level::debug;
}

daemon::log_fields route_fields(const daemon::planned_route& r) {
  return {{"route", r.spec.name},
          {"kind", std::string{config::to_string(r.source.kind)}},
          {"workers", r.spec.options.workers},
          {"policy", std::string{core::to_string(r.spec.options.policy)}}};
}

void configure(caf::actor_system_config& cfg,
               const std::optional<tls_files>& tls) {
  configure_mesh(cfg, tls ? &*tls : nullptr);
}

std::optional<tls_files> tls_of(const config::node_config& cfg) {
  if (!cfg.tls)
    return std::nullopt;
  return tls_files{cfg.tls->certificate, cfg.tls->key, cfg.tls->ca};
}

/// The largest payload any route of `cfg` takes.
uint64_t largest_payload(const config::node_config& cfg) {
  uint64_t result = cfg.limits.max_payload;
  for (auto& r : cfg.routes)
    result = std::max(result, r.max_payload.value_or(cfg.limits.max_payload));
  return result;
}

mesh_options mesh_options_of(const config::node_config& cfg) {
  mesh_options result;
  result.name = cfg.name;
  result.heartbeat = cfg.mesh.heartbeat;
  result.peer_timeout = cfg.mesh.peer_timeout;
  result.retry_max = cfg.mesh.retry_max;
  result.retry_min = std::min(result.retry_min, result.retry_max);
  result.max_batch = cfg.mesh.max_batch;
  result.max_batch_bytes = cfg.mesh.max_batch_bytes;
  result.link_max_in_flight = cfg.mesh.link_max_in_flight;
  result.max_advert_routes = cfg.mesh.max_advert_routes;
  // A frame carries a batch, or one call of the largest payload any route
  // takes, with headroom for headers and route names.
  result.max_frame
    = cfg.mesh.max_batch_bytes + largest_payload(cfg) + (1u << 20);
  result.tls = cfg.tls.has_value();
  result.insecure = cfg.insecure;
  for (auto& rule : cfg.allow)
    result.allow.push_back(
      core::access_rule{rule.identity, rule.call, rule.peer});
  return result;
}

/// What a reload cannot apply to a running node, e.g. "[tls], removed peer
/// 127.0.0.1:7702"; empty if nothing.
std::string restart_only_changes(const config::node_config& running,
                                 const config::node_config& next,
                                 const std::set<std::string>& dialled) {
  std::vector<std::string> xs;
  auto tls_files_of = [](const config::node_config& x) {
    return x.tls ? std::make_tuple(x.tls->certificate, x.tls->key, x.tls->ca)
                 : std::make_tuple(std::string{}, std::string{}, std::string{});
  };
  if (tls_files_of(running) != tls_files_of(next))
    xs.emplace_back("[tls]");
  auto& m = running.mesh;
  auto& n = next.mesh;
  if (std::tie(m.heartbeat, m.peer_timeout, m.retry_max, m.max_batch,
               m.max_batch_bytes, m.link_max_in_flight, m.max_advert_routes)
      != std::tie(n.heartbeat, n.peer_timeout, n.retry_max, n.max_batch,
                  n.max_batch_bytes, n.link_max_in_flight, n.max_advert_routes))
    xs.emplace_back("[mesh]");
  auto rules_of = [](const config::node_config& x) {
    std::vector<std::tuple<std::string, std::vector<std::string>, bool>> r;
    for (auto& a : x.allow)
      r.emplace_back(a.identity, a.call, a.peer);
    return r;
  };
  if (rules_of(running) != rules_of(next))
    xs.emplace_back("[[allow]]");
  if (running.insecure != next.insecure)
    xs.emplace_back("[node] insecure");
  if (running.scheduler != next.scheduler)
    xs.emplace_back("[node] scheduler");
  auto http_of = [](const config::node_config& x) {
    return x.http ? std::make_tuple(true, config::to_string(x.http->listen),
                                    x.http->max_connections, x.http->threads,
                                    x.http->read_timeout.count())
                  : std::make_tuple(false, std::string{}, int64_t{0},
                                    int64_t{0}, int64_t{0});
  };
  if (http_of(running) != http_of(next))
    xs.emplace_back("[http]");
  if (running.log.format != next.log.format)
    xs.emplace_back("[log] format");
  std::set<std::string> wanted;
  for (auto& peer : next.peers)
    wanted.insert(config::to_string(peer.address));
  for (auto& address : dialled)
    if (wanted.count(address) == 0)
      xs.push_back("removed peer " + address);
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ", ") + x;
  return result;
}

/// Connects to the `[[peer]]`s not connected yet; returns how many.
size_t connect_peers(mesh& net, const config::node_config& cfg,
                     std::set<std::string>& dialled) {
  size_t n = 0;
  for (auto& peer : cfg.peers) {
    if (!dialled.insert(config::to_string(peer.address)).second)
      continue;
    net.connect(peer.address.host, peer.address.port);
    ++n;
  }
  return n;
}

std::string describe_for_cli(const caf::error& err) {
  if (code_of(err))
    return describe(err);
  return caf::to_string(err);
}

// -- serve
// ----------------------------------------------------------------------

/// Applies a new plan to a running router in one registry message: adds,
/// removes and replaces routes so that the router serves exactly the plan.
/// Logs each route changed and the totals.
void apply_reload(router& sb, std::map<std::string, config::route_config>& live,
                  daemon::node_plan& plan, daemon::logger& log) {
  std::map<std::string, daemon::planned_route*> next;
  for (auto& r : plan.routes)
    next.emplace(r.spec.name, &r);
  route_changes changes;
  std::vector<daemon::planned_route*> added, replaced;
  for (auto& [name, source] : live)
    if (next.count(name) == 0)
      changes.remove.push_back(name);
  for (auto& [name, r] : next) {
    auto i = live.find(name);
    if (i == live.end()) {
      changes.add.push_back(r->spec);
      added.push_back(r);
    } else if (!daemon::same_route(i->second, r->source)) {
      changes.replace.push_back(r->spec);
      replaced.push_back(r);
    }
  }
  auto removed_names = changes.remove;
  auto result = sb.ref().apply(std::move(changes));
  auto level = route_line_level(removed_names.size() + added.size()
                                + replaced.size());
  int n_added = 0, n_removed = 0, n_replaced = 0;
  for (size_t i = 0; i < removed_names.size(); ++i) {
    if (result.remove[i]) {
      log.warn("reload: cannot remove route",
               {{"route", removed_names[i]},
                {"error", describe(result.remove[i])}});
      continue;
    }
    live.erase(removed_names[i]);
    log.write(level, "route removed", {{"route", removed_names[i]}});
    ++n_removed;
  }
  for (size_t i = 0; i < added.size(); ++i) {
    if (result.add[i]) {
      log.warn("reload: cannot add route",
               {{"route", added[i]->spec.name},
                {"error", describe(result.add[i])}});
      continue;
    }
    live.emplace(added[i]->spec.name, added[i]->source);
    log.write(level, "route added", route_fields(*added[i]));
    ++n_added;
  }
  for (size_t i = 0; i < replaced.size(); ++i) {
    if (result.replace[i]) {
      log.warn("reload: cannot replace route",
               {{"route", replaced[i]->spec.name},
                {"error", describe(result.replace[i])}});
      continue;
    }
    live[replaced[i]->spec.name] = replaced[i]->source;
    log.write(level, "route replaced", route_fields(*replaced[i]));
    ++n_replaced;
  }
  log.info("reloaded: " + std::to_string(n_added) + " added, "
             + std::to_string(n_removed) + " removed, "
             + std::to_string(n_replaced) + " replaced",
           {{"added", n_added}, {"removed", n_removed},
            {"replaced", n_replaced}});
}

/// What the daemon last saw of a local route's workers.
struct worker_sample {
  size_t workers = 0;
  uint64_t restarts = 0;
};

/// A sample lists every route (2 to 5 us each on the 2-core machine): the
/// daemon samples every second up to this many routes, and every `routes /
/// sample_routes_per_second` seconds beyond, so sampling costs a few
/// percent of a core at most (100 000 routes, idle: 2.5 %, measured).
constexpr size_t sample_routes_per_second = 5000;

/// Compares the router's routes with the last sample and logs workers
/// restarted and workers lost (not restarted: the restart budget is spent,
/// or the handler's factory failed). The router tells no one of restarts,
/// so the daemon samples it (see `sample_routes_per_second`). Routes
/// change only by reload here, which clears `seen`.
void sample_workers(const router& sb, daemon::logger& log,
                    std::unordered_map<std::string, worker_sample>& seen) {
  auto xs = sb.ref().list();
  if (!xs)
    return;
  for (auto& r : *xs) {
    if (r.kind == "remote")
      continue;
    auto [i, added] = seen.try_emplace(r.name, worker_sample{r.workers,
                                                             r.restarts});
    if (added)
      continue;
    auto& last = i->second;
    if (r.restarts > last.restarts)
      log.warn("worker restarted", {{"route", r.name},
                                    {"count", r.restarts - last.restarts},
                                    {"restarts", r.restarts},
                                    {"workers", r.workers}});
    if (r.workers < last.workers)
      log.error("worker lost: restart budget exhausted",
                {{"route", r.name}, {"workers", r.workers}});
    last = worker_sample{r.workers, r.restarts};
  }
}

/// What the watchdog tells the signal loop.
struct essential_watch {
  /// Set once the node stops in order: the router's end is expected.
  std::atomic<bool> stopping{false};
  std::mutex mtx;
  /// What stopped, e.g. "front door (killed)"; empty while all run.
  std::string died;
  pthread_t main_thread = pthread_self();
};

/// Waits for SIGTERM/SIGINT while the node drains: a second one ends the
/// process at once (the operator does not want to wait for the drain).
void exit_on_second_signal(sigset_t signals,
                           std::shared_ptr<daemon::logger> log) {
  std::thread{[signals, log] {
    for (;;) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0)
        continue;
      if (sig == SIGTERM || sig == SIGINT) {
        log->report_suppressed(true);
        log->warn("stopping now: second signal during the drain; calls "
                  "still in flight are cut off",
                  {{"exit_code", exit_drain_cut}});
        std::_Exit(exit_drain_cut);
      }
    }
  }}.detach();
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return std::to_string(sig);
  }
}

/// How long the signal loop waits before it samples workers and reports
/// suppressed refusals.
constexpr timespec tick = {1, 0};

int serve(const std::string& config_path) {
  // Signals are taken synchronously by this thread; every thread CAF
  // starts inherits the mask. SIGUSR1 is the watchdog's: an essential
  // actor stopped.
  sigset_t signals;
  sigemptyset(&signals);
  for (auto s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  auto initial = read_config(config_path);
  if (!initial.ok) {
    // No valid [log] yet: the problems go out as plain FILE:LINE:COL lines.
    print_problems(initial.problems);
    return exit_usage;
  }
  auto& [cfg, plan] = *initial.ok;
  auto log = std::make_shared<daemon::logger>(cfg.log);
  // One descriptor per connection: take what the hard limit allows.
  if (!raise_fd_limit())
    log->warn("cannot raise the file descriptor limit to its hard limit");
  caf::actor_system_config sys_cfg;
  configure(sys_cfg, tls_of(cfg));
  sys_cfg.set("scheduler.policy", cfg.scheduler == "sharing"
                                    ? caf::atom("sharing")
                                    : caf::atom("stealing"));
  caf::actor_system sys{sys_cfg};
  router sb{sys};
  // Every route in one registry message: 10 000 routes start in a
  // fraction of a second (docs/benchmarks.md).
  std::map<std::string, config::route_config> live;
  {
    std::vector<route_spec> specs;
    specs.reserve(plan.routes.size());
    for (auto& r : plan.routes)
      specs.push_back(r.spec);
    auto errors = sb.ref().add_all(std::move(specs));
    bool failed = false;
    for (size_t i = 0; i < plan.routes.size(); ++i) {
      auto& r = plan.routes[i];
      if (i < errors.size() && errors[i]) {
        std::cerr << config::to_string({r.source.position, describe(errors[i])})
                  << '\n';
        failed = true;
      }
    }
    if (failed)
      return exit_usage;
    auto level = route_line_level(plan.routes.size());
    for (auto& r : plan.routes) {
      live.emplace(r.spec.name, r.source);
      log->write(level, "route added", route_fields(r));
    }
  }
  log->info("node " + cfg.name + ": " + std::to_string(live.size())
              + " route(s)",
            {{"node", cfg.name}, {"routes", live.size()}});
  auto mesh_opts = mesh_options_of(cfg);
  mesh_opts.log = daemon::mesh_log_sink(log);
  mesh net{sb.ref(), std::move(mesh_opts)};
  // If the router or the front door stops, the node cannot serve: exit
  // non-zero rather than listen on as a zombie.
  auto watch = std::make_shared<essential_watch>();
  auto watchdog = daemon::watch_essentials(
    sys, {{"router", sb.ref().registry()}, {"front door", net.front_door()}},
    [watch](const std::string& what) {
      if (watch->stopping.load())
        return;
      {
        std::lock_guard<std::mutex> guard{watch->mtx};
        watch->died = what;
      }
      pthread_kill(watch->main_thread, SIGUSR1);
    });
  // However serve returns, the router and mesh stop after this: in order.
  struct stop_guard {
    std::shared_ptr<essential_watch> w;
    ~stop_guard() {
      w->stopping = true;
    }
  } guard{watch};
  // What systemd shows (STATUS=) once the node serves.
  std::string ready_status = "serving without listening";
  if (cfg.listen) {
    auto port = net.listen(cfg.listen->port, cfg.listen->host);
    if (!port) {
      log->error("cannot listen on " + config::to_string(*cfg.listen),
                 {{"address", config::to_string(*cfg.listen)},
                  {"error", describe_for_cli(port.error())}});
      return exit_usage;
    }
    auto address = config::to_string(config::host_port{cfg.listen->host, *port});
    ready_status = "listening on " + cfg.listen->host + ':'
                   + std::to_string(*port) + (cfg.tls ? " (tls)" : "");
    log->announce(ready_status, {{"address", address},
                                 {"tls", cfg.tls.has_value()}});
  }
  std::set<std::string> dialled;
  connect_peers(net, cfg, dialled);
  // The HTTP front door, if configured: stopped before the router drains
  // to its end (declared after it).
  std::unique_ptr<daemon::http_front_door> http;
  if (cfg.http) {
    daemon::http_settings hs;
    hs.http = *cfg.http;
    hs.tls = tls_of(cfg);
    hs.policy
      = std::make_shared<core::access_policy>(mesh_options_of(cfg).allow);
    hs.max_body = largest_payload(cfg);
    hs.log_refusal = [log](const std::string& line) {
      log->refused("http", line, {{"component", "http"}});
    };
    http = std::make_unique<daemon::http_front_door>(sys, sb.ref(), &net,
                                                     std::move(hs));
    auto bound = http->start();
    if (auto why = std::get_if<std::string>(&bound)) {
      log->error("cannot serve HTTP on " + config::to_string(cfg.http->listen),
                 {{"address", config::to_string(cfg.http->listen)},
                  {"error", *why}});
      return exit_usage;
    }
    auto port = std::get<uint16_t>(bound);
    log->announce("http listening on " + cfg.http->listen.host + ':'
                    + std::to_string(port) + (cfg.tls ? " (https)" : ""),
                  {{"address", config::to_string(config::host_port{
                                 cfg.http->listen.host, port})},
                   {"https", cfg.tls.has_value()}});
    http->set_ready(true);
  }
  daemon::notify_ready(ready_status);
  std::unordered_map<std::string, worker_sample> workers_seen;
  sample_workers(sb, *log, workers_seen);
  size_t ticks_since_sample = 0;
  int stop_signal = SIGTERM;
  for (;;) {
    int sig = sigtimedwait(&signals, nullptr, &tick);
    if (sig < 0) {
      // Nothing for a second (or EINTR): the periodic chores.
      log->report_suppressed();
      if (++ticks_since_sample
          >= std::max<size_t>(1, live.size() / sample_routes_per_second)) {
        ticks_since_sample = 0;
        sample_workers(sb, *log, workers_seen);
      }
      continue;
    }
    if (sig == SIGUSR1) {
      std::lock_guard<std::mutex> lock{watch->mtx};
      if (watch->died.empty())
        continue; // not the watchdog's
      log->error("fatal: the node's " + watch->died
                   + " stopped; exiting instead of serving without it",
                 {{"component", watch->died},
                  {"exit_code", exit_essential_down}});
      log->report_suppressed(true);
      return exit_essential_down;
    }
    if (sig == SIGHUP) {
      if (config_path.empty()) {
        log->warn("reload: running on the built-in default, nothing to "
                  "re-read");
        continue;
      }
      daemon::reload_notice reloading{ready_status};
      auto next = read_config(config_path);
      if (!next.ok) {
        for (auto& x : next.problems)
          log->error("reload: configuration problem",
                     {{"where", x.where.file + ':'
                                  + std::to_string(x.where.line) + ':'
                                  + std::to_string(x.where.column)},
                      {"problem", x.message}});
        log->error("reload: configuration invalid, keeping the old one",
                   {{"file", config_path},
                    {"problems", next.problems.size()}});
        continue;
      }
      auto& [next_cfg, next_plan] = *next.ok;
      if (next_cfg.log.level != cfg.log.level) {
        // Written at whichever of the two levels shows info lines.
        daemon::log_fields change{
          {"from", std::string{config::to_string(cfg.log.level)}},
          {"to", std::string{config::to_string(next_cfg.log.level)}}};
        bool shown = log->enabled(config::log_level::info);
        if (shown)
          log->info("reload: log level changed", change);
        log->set_level(next_cfg.log.level);
        if (!shown)
          log->info("reload: log level changed", change);
        cfg.log.level = next_cfg.log.level;
      }
      apply_reload(sb, live, next_plan, *log);
      // Replaced routes start their counts afresh: sample anew.
      workers_seen.clear();
      sample_workers(sb, *log, workers_seen);
      if (auto n = connect_peers(net, next_cfg, dialled); n > 0)
        log->info("reload: connecting to " + std::to_string(n)
                    + " new peer(s)",
                  {{"peers", n}});
      if (auto later = restart_only_changes(cfg, next_cfg, dialled);
          !later.empty())
        log->warn("reload: takes effect at the next restart",
                  {{"changes", later}});
      continue;
    }
    stop_signal = sig;
    break;
  }
  watch->stopping = true;
  caf::anon_send_exit(watchdog, caf::exit_reason::user_shutdown);
  log->info("stopping: draining requests in flight (a second signal "
            "stops at once)",
            {{"signal", signal_name(stop_signal)},
             {"drain_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                            cfg.drain)
                            .count()}});
  if (http)
    http->set_ready(false);
  daemon::notify_stopping();
  exit_on_second_signal(signals, log);
  if (auto err = sb.shutdown(cfg.drain))
    log->warn("drain: " + describe_for_cli(err));
  else
    log->info("drain finished");
  log->report_suppressed(true);
  log->info("node stopped", {{"exit_code", exit_ok}});
  return exit_ok;
}

// -- client commands
// --------------------------------------------------------------

using client_clock = std::chrono::steady_clock;

/// The largest frame the CLI takes from a node: a reply of the largest
/// `max_payload` a node allows, with room to spare.
constexpr uint64_t client_max_frame = uint64_t{1} << 30;

/// Gives up on reaching a node: prints why and ends the process at once.
/// (An actor system with a connection stuck in its handshake could keep
/// the process alive in its destructor; the command's --timeout is final.)
[[noreturn]] void unreachable(const config::host_port& hp, bool tls,
                              const std::string& why) {
  std::cerr << "error: cannot reach " << config::to_string(hp)
            << (tls ? " over TLS" : "") << ": " << why << '\n';
  std::cerr.flush();
  std::fflush(stdout);
  std::_Exit(exit_unreachable);
}

/// A client of a running node: its own actor system, connected to the
/// node's front door.
struct node_client {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  caf::actor remote;

  caf::io::middleman_actor transport;

  explicit node_client(const std::optional<tls_files>& tls) {
    configure(cfg, tls);
    sys.emplace(cfg);
  }

  /// Connects within `left` through the node's own transport (TLS when
  /// `tls`); empty on success, else why not.
  std::string connect(const config::host_port& hp,
                      const std::optional<tls_files>& tls, caf::timespan left) {
    detail::transport_options opts;
    opts.max_frame = client_max_frame;
    opts.tls = tls;
    auto t = detail::spawn_transport(
      *sys, std::move(opts), std::make_shared<detail::identity_table>());
    if (!t)
      return sys->render(t.error());
    transport = std::move(*t);
    auto x
      = detail::transport_remote_actor(*sys, transport, hp.host, hp.port, left);
    if (!x)
      return x.error() == caf::sec::request_timeout
               ? "no connection within the --timeout"
               : sys->render(x.error());
    remote = std::move(*x);
    return {};
  }

  /// Sends `msg` to the node as a request and waits at most `left` for the
  /// answer: a value of any type (as a message) or an error. A node that
  /// goes away ends the wait at once with `remote_link_unreachable` (CAF
  /// 0.17 would leave a request to a lost node waiting for its timeout).
  caf::expected<caf::message> ask(caf::message msg, caf::timespan left) {
    auto out = std::make_shared<std::promise<caf::expected<caf::message>>>();
    auto result = out->get_future();
    auto dest = remote;
    sys->spawn([out, dest, msg = std::move(msg),
                left](caf::event_based_actor* self) mutable {
      auto done = [out, self](caf::expected<caf::message> x) {
        out->set_value(std::move(x));
        self->quit();
      };
      self->monitor(dest);
      self->set_down_handler([done, dest](caf::down_msg& dm) {
        if (dm.source == dest.address())
          done(caf::make_error(caf::exit_reason::remote_link_unreachable));
      });
      self->request(dest, left, std::move(msg))
        .then([done](caf::unit_t) { done(caf::message{}); },
              [done](caf::error& err) {
                // A value arrives as the error that carries it: the
                // command takes any type of reply.
                if (err == caf::sec::unexpected_response)
                  done(err.context());
                else
                  done(std::move(err));
              });
      return caf::behavior{[](caf::unit_t) {}};
    });
    return result.get();
  }

  /// Sends the front door's idempotent probe: does this connection carry
  /// replies? (CAF 0.17 can hand out a connection whose replies are all
  /// lost; see docs/security.md.)
  bool probe(caf::timespan limit) {
    caf::scoped_actor self{*sys};
    bool answered = false;
    self->request(remote, limit, ping_atom::value)
      .receive([&](ping_atom) { answered = true; }, [&](caf::error&) {});
    return answered;
  }
};

/// Connects to the node at `hp` within `timeout` and verifies the
/// connection with a probe; an unanswered probe means a broken connection:
/// try again from a fresh actor system (a new CAF node) while time is left.
/// Exits the process (code 3) if the node cannot be reached in time.
std::unique_ptr<node_client> connect_node(const config::host_port& hp,
                                          const std::optional<tls_files>& tls,
                                          caf::timespan timeout) {
  auto deadline = client_clock::now() + timeout;
  std::string why = "no connection within the --timeout";
  for (;;) {
    auto left = deadline - client_clock::now();
    if (left <= caf::timespan{0})
      unreachable(hp, tls.has_value(), why);
    auto node = std::make_unique<node_client>(tls);
    why = node->connect(hp, tls, left);
    if (!why.empty())
      unreachable(hp, tls.has_value(), why);
    // A third of what is left, at least 200 ms: a busy node answers a
    // probe in well under that, and a broken connection never does.
    left = deadline - client_clock::now();
    auto limit
      = std::max<caf::timespan>(left / 3, std::chrono::milliseconds{200});
    if (node->probe(std::min(limit, left)))
      return node;
    why = "the node never answered on its connection (a probe went "
          "unanswered)";
    // The broken system is left behind, not destroyed (its connection may
    // be stuck), but kept reachable: it is not a leak, the process ends
    // soon.
    static auto* abandoned = new std::vector<node_client*>;
    abandoned->push_back(node.release());
  }
}

int call(const config::host_port& hp, const std::optional<tls_files>& tls,
         std::chrono::nanoseconds timeout, const std::string& route,
         const std::string& payload) {
  auto started = client_clock::now();
  auto node = connect_node(hp, tls, timeout);
  auto& sys = *node->sys;
  // The --timeout covers connecting too: what is left of it.
  auto left = std::max<caf::timespan>(timeout - (client_clock::now() - started),
                                      std::chrono::milliseconds{1});
  auto res
    = node->ask(caf::make_message(call_atom::value, route, payload), left);
  if (res) {
    if (res->match_elements<std::string>()) {
      auto& out = res->get_as<std::string>(0);
      std::fwrite(out.data(), 1, out.size(), stdout);
      std::fflush(stdout);
    } else {
      // A reply that is not bytes (e.g. a plugin returning numbers).
      std::cout << caf::to_string(*res) << std::endl;
    }
    return exit_ok;
  }
  auto& err = res.error();
  if (code_of(err)) {
    std::cerr << "error: " << describe(err) << '\n';
    return exit_route_error;
  }
  if (err == caf::sec::request_timeout) {
    std::cerr << "error: timeout: route '" << route
              << "' did not answer within the --timeout\n";
    return exit_route_error;
  }
  std::cerr << "error: lost the node: " << sys.render(err) << '\n';
  return exit_unreachable;
}

/// Asks `node` with `msg`, waiting for what is left of `timeout` since
/// `started`, for an answer of type `T`. Without one, says why on stderr
/// and sets `code` (1: a switchboard error such as `forbidden`, 3:
/// unreachable or an unexpected answer).
template <class T>
std::optional<T> ask_for(node_client& node, client_clock::time_point started,
                         std::chrono::nanoseconds timeout, caf::message msg,
                         int& code) {
  auto left = std::max<caf::timespan>(timeout - (client_clock::now() - started),
                                      std::chrono::milliseconds{1});
  auto res = node.ask(std::move(msg), left);
  if (res && res->match_elements<T>())
    return std::move(res->get_mutable_as<T>(0));
  if (!res && code_of(res.error())) {
    std::cerr << "error: " << describe(res.error()) << '\n';
    code = exit_route_error;
    return std::nullopt;
  }
  std::cerr << "error: lost the node: "
            << (res ? std::string{"unexpected answer"}
                    : node.sys->render(res.error()))
            << '\n';
  code = exit_unreachable;
  return std::nullopt;
}

/// Asks the node at `hp` with `msg` and prints its answer, of type `T`,
/// with `print`; returns the exit code (see `ask_for`).
template <class T, class Print>
int query(const config::host_port& hp, const std::optional<tls_files>& tls,
          std::chrono::nanoseconds timeout, caf::message msg, Print print) {
  auto started = client_clock::now();
  auto node = connect_node(hp, tls, timeout);
  int code = exit_ok;
  if (auto x = ask_for<T>(*node, started, timeout, std::move(msg), code))
    print(*x);
  return code;
}

int routes(const config::host_port& hp, const std::optional<tls_files>& tls,
           std::chrono::nanoseconds timeout, bool json) {
  auto print = [&](const std::vector<core::route_info>& xs) {
    if (json) {
      std::cout << daemon::routes_json(xs) << std::flush;
      return;
    }
    std::printf("%-24s %-10s %7s %-16s %9s %s\n", "NAME", "KIND", "WORKERS",
                "POLICY", "IN_FLIGHT", "ORIGIN");
    for (auto& x : xs) {
      // A remote route: its workers are the peers calls go to; its
      // policy and load live on the serving node.
      auto remote = !x.via.empty();
      auto origin = x.origin.empty() ? std::string{"-"} : x.origin;
      if (remote)
        origin += " (via " + x.via + ")";
      std::printf("%-24s %-10s %7zu %-16s %9s %s\n", x.name.c_str(),
                  x.kind.c_str(), x.workers,
                  remote ? "-" : std::string{core::to_string(x.policy)}.c_str(),
                  remote ? "-" : std::to_string(x.in_flight).c_str(),
                  origin.c_str());
    }
  };
  return query<std::vector<core::route_info>>(
    hp, tls, timeout, caf::make_message(list_atom::value), print);
}

/// `stats`: the routes' metrics, then the peers' (one connection, two
/// questions).
int stats(const config::host_port& hp, const std::optional<tls_files>& tls,
          std::chrono::nanoseconds timeout, bool json) {
  auto started = client_clock::now();
  auto node = connect_node(hp, tls, timeout);
  int code = exit_ok;
  auto routes = ask_for<std::vector<core::route_stats>>(
    *node, started, timeout, caf::make_message(stats_atom::value), code);
  if (!routes)
    return code;
  auto peers = ask_for<std::vector<core::peer_stats>>(
    *node, started, timeout, caf::make_message(peer_stats_atom::value), code);
  if (!peers)
    return code;
  if (json)
    std::cout << daemon::node_stats_json(*routes, *peers);
  else if (peers->empty())
    std::cout << daemon::stats_table(*routes);
  else
    std::cout << daemon::stats_table(*routes) << '\n'
              << daemon::peers_table(*peers);
  std::cout << std::flush;
  return code;
}

int check_config(const std::string& path) {
  auto checked = read_config(path);
  if (!checked.ok) {
    print_problems(checked.problems);
    return exit_usage;
  }
  std::cout << path << ": ok, " << checked.ok->second.routes.size()
            << " route(s)\n";
  return exit_ok;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchboard: a request router on the C++ Actor Framework"};
  app.require_subcommand(1);
  std::string config_path;
  auto serve_cmd = app.add_subcommand(
    "serve", "run a node in the foreground (logs to stderr)");
  serve_cmd->add_option("--config", config_path,
                        "TOML configuration (default: built-in, listens on "
                        "127.0.0.1:7700 with an echo route)");
  std::string connect = "127.0.0.1:7700";
  std::string timeout_text = "5s";
  std::string route;
  std::string payload_arg = "-";
  auto call_cmd = app.add_subcommand(
    "call", "call a route; PAYLOAD (or stdin when omitted or -) is sent as "
            "bytes, the reply goes to stdout");
  call_cmd->add_option("--connect", connect, "node address HOST:PORT");
  call_cmd->add_option("--timeout", timeout_text,
                       "how long to wait, connecting included, e.g. 250ms, "
                       "5s");
  call_cmd->add_option("ROUTE", route, "route name")->required();
  tls_files tls_flags;
  auto add_tls_options = [&](CLI::App* cmd) {
    auto cert = cmd->add_option("--tls-cert", tls_flags.certificate,
                                "client certificate (PEM) for a [tls] node");
    auto key = cmd->add_option("--tls-key", tls_flags.key,
                               "private key of --tls-cert");
    auto ca = cmd->add_option("--tls-ca", tls_flags.ca,
                              "CA the node's certificate must chain to");
    for (auto x : {cert, key, ca}) {
      x->check(CLI::ExistingFile);
      for (auto y : {cert, key, ca})
        if (x != y)
          x->needs(y);
    }
  };
  add_tls_options(call_cmd);
  call_cmd->add_option("PAYLOAD", payload_arg, "payload, or - for stdin");
  bool json = false;
  auto routes_cmd = app.add_subcommand(
    "routes", "list a node's routes: name, kind, workers, policy, in "
              "flight, origin node (and the peers a remote route goes via)");
  routes_cmd->add_option("--connect", connect, "node address HOST:PORT");
  routes_cmd->add_option("--timeout", timeout_text,
                         "how long to wait, connecting included, e.g. 5s");
  routes_cmd->add_flag("--json", json, "print JSON");
  add_tls_options(routes_cmd);
  auto stats_cmd = app.add_subcommand(
    "stats", "show a node's route metrics: requests, errors, p50/p99 "
             "latency, in flight, restarts; then its peers' calls and bytes");
  stats_cmd->add_option("--connect", connect, "node address HOST:PORT");
  stats_cmd->add_option("--timeout", timeout_text,
                        "how long to wait, connecting included, e.g. 5s");
  stats_cmd->add_flag("--json", json, "print JSON");
  add_tls_options(stats_cmd);
  std::string check_path;
  auto check_cmd = app.add_subcommand(
    "check-config", "validate a configuration without starting anything");
  check_cmd->add_option("FILE", check_path, "TOML configuration")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return exit_usage;
  }
  if (*serve_cmd)
    return serve(config_path);
  if (*check_cmd)
    return check_config(check_path);
  auto hp = config::parse_host_port(connect);
  if (!hp) {
    std::cerr << "error: --connect '" << connect << "' is not HOST:PORT\n";
    return exit_usage;
  }
  std::optional<tls_files> tls;
  if (!tls_flags.certificate.empty())
    tls = tls_flags;
  auto timeout = config::parse_duration(timeout_text);
  if (!timeout || timeout->count() <= 0) {
    auto why = config::duration_problem(timeout_text);
    if (why.empty())
      why = "'" + timeout_text + "' must be longer than zero";
    std::cerr << "error: --timeout " << why << '\n';
    return exit_usage;
  }
  if (*routes_cmd)
    return routes(*hp, tls, *timeout, json);
  if (*stats_cmd)
    return stats(*hp, tls, *timeout, json);
  std::string payload;
  if (payload_arg == "-")
    payload.assign(std::istreambuf_iterator<char>{std::cin},
                   std::istreambuf_iterator<char>{});
  else
    payload = payload_arg;
  return call(*hp, tls, *timeout, route, payload);
}
