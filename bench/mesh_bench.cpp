// mesh_bench: what a request across the network costs through switchboard's
// mesh, compared with plain CAF remote requests and with NATS request-reply,
// measured in one run. Driven by bench/mesh_bench.sh, which starts the
// servers; see docs/benchmarks.md.
//
//   a  routed across nodes: this process (an embedded mesh node) calls the
//      route by name; it goes to daemon node D, which serves no route and
//      forwards to worker node W
//   b  routed to one node: this process calls a daemon node that serves the
//      route itself
//   c  plain CAF: one requester actor `request()`s a remote echo actor
//      (io::middleman), no router
//   d  NATS: request-reply through a local nats-server to a responder
//      process (libnats). libnats either sends each publish at once or
//      lets a flusher thread batch them; d runs every combination of the
//      two on the requester's and the responder's side and reports the
//      fastest, so that NATS is measured at its best for each window
//   e  plain CAF relayed: c's requester `request()`s a relay actor in a
//      middle process (`--serve-relay`), which `delegate()`s each request
//      to c's echo actor; the echo replies to the requester through the
//      relay process's connections. The plain-CAF counterpart of a: the
//      same two hops, no router
//
// Every server echoes its string payload. For each payload size and window
// (requests in flight, kept full by one caller: a reply triggers the next
// request), a run warms up, then counts the replies of the requests sent
// during the measured time and records their round trips (send to reply,
// in the caller). Each measurement is repeated, interleaving the paths, and
// the median run is reported, with ratios to d and the ratio of a to e.
//
// Modes:
//   mesh_bench --serve-plain             publishes the echo actor of c
//   mesh_bench --serve-relay HOST:PORT   publishes the relay actor of e,
//                                        which forwards to c's echo actor
//                                        at HOST:PORT
//   mesh_bench --serve-nats URL          the responder of d
//   mesh_bench [--routed HOST:PORT] [--served HOST:PORT] [--plain HOST:PORT]
//              [--nats URL] [--relayed HOST:PORT]  measures what is given
//   mesh_bench --list-paths              prints the paths built in, "abcde"

#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/io/middleman.hpp>

#include "percentile.hpp"
#include "switchboard/switchboard.hpp"

#include "switchboard/mesh.hpp"

#ifdef SWITCHBOARD_BENCH_HAVE_NATS
#include <nats/nats.h>
#endif

namespace bench {

using clock_type = std::chrono::steady_clock;

/// How long a run may take to collect its last replies after the measured
/// time before the benchmark gives up on it (a lost reply, not slowness).
constexpr auto drain_limit = std::chrono::seconds{60};

/// How each actor system of the benchmark schedules: threads, CAF's policy
/// ("stealing" or "sharing"; empty: the system's default, which is
/// `configure_mesh`'s for the embedded callers and CAF's for plain CAF) and
/// further CAF settings as given to `--caf`.
struct system_settings {
  size_t threads = 2;
  std::string scheduler;
  std::vector<std::string> caf;
};

/// Splits `KEY=VALUE` (VALUE in CAF's INI syntax: `0us`, `10`,
/// `'sharing'`); nothing if `arg` is not of that form.
std::optional<std::pair<std::string, caf::config_value>>
parse_caf_setting(const std::string& arg) {
  auto eq = arg.find('=');
  if (eq == std::string::npos || eq == 0)
    return std::nullopt;
  auto value = caf::config_value::parse(arg.substr(eq + 1));
  if (!value)
    return std::nullopt;
  return std::make_pair(arg.substr(0, eq), std::move(*value));
}

void apply(const system_settings& x, caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", x.threads);
  if (!x.scheduler.empty())
    cfg.set("scheduler.policy", x.scheduler == "sharing"
                                  ? caf::atom("sharing")
                                  : caf::atom("stealing"));
  for (auto& arg : x.caf)
    if (auto kv = parse_caf_setting(arg))
      cfg.set(kv->first, kv->second);
}

/// Whether CAF takes every `--caf` setting of `x`; names the first one it
/// does not on standard error.
bool valid(const system_settings& x) {
  caf::actor_system_config cfg;
  apply(x, cfg);
  for (auto& arg : x.caf) {
    auto kv = parse_caf_setting(arg);
    auto stored = kv ? caf::get_if(&cfg.content, kv->first) : nullptr;
    if (stored == nullptr || *stored != kv->second) {
      std::cerr << "error: --caf " << arg
                << ": not KEY=VALUE or refused by CAF\n";
      return false;
    }
  }
  return true;
}

/// The scheduler settings as the results' header shows them.
std::string describe(const system_settings& x) {
  std::string out = "threads=" + std::to_string(x.threads) + " scheduler="
                    + (x.scheduler.empty() ? "default" : x.scheduler);
  for (auto& arg : x.caf)
    out += " " + arg;
  return out;
}

struct settings {
  system_settings system;
  bool quick = false;
  double seconds = 1.0;
  double idle_seconds = 0;
  size_t repeat = 5;
  std::vector<size_t> payloads{64, 4096};
  std::vector<size_t> windows{1, 100, 1000};
  std::string only = "abcde";
  std::string routed; // a: HOST:PORT of daemon node D
  std::string served; // b: HOST:PORT of the daemon node serving `echo`
  std::string plain;  // c: HOST:PORT of `mesh_bench --serve-plain`
  std::string nats;   // d: URL of nats-server
  std::string relayed; // e: HOST:PORT of `mesh_bench --serve-relay`
  std::string subject = "switchboard.bench.echo";
  std::string nats_requester = "best"; // asap | batched | best (both)
  std::string nats_replier = "best";   // asap | batched | best (both)
};

/// What one measurement produced.
struct result {
  double req_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  uint64_t errors = 0; // error replies and replies of the wrong size
};

/// The run parameters of one measurement.
struct run_plan {
  size_t window = 1;           // requests in flight
  clock_type::time_point warm; // count replies from here ...
  clock_type::time_point end;  // ... to here, then stop sending
};

run_plan make_plan(size_t window, double seconds) {
  run_plan plan;
  plan.window = std::max<size_t>(1, window);
  auto warmup = std::chrono::duration<double>(seconds * 0.25);
  auto measured = std::chrono::duration<double>(seconds);
  auto now = clock_type::now();
  plan.warm = now + std::chrono::duration_cast<clock_type::duration>(warmup);
  plan.end
    = plan.warm + std::chrono::duration_cast<clock_type::duration>(measured);
  return plan;
}

/// The bookkeeping of one caller: requests in flight, replies counted and
/// their round trips. Not thread-safe; each path keeps it on one thread or
/// under a lock.
struct caller_core {
  run_plan plan;
  uint64_t outstanding = 0;
  bool stopping = false;
  uint64_t counted = 0;
  uint64_t errors = 0;
  std::string first_error;
  std::vector<uint32_t> latencies_ns;

  explicit caller_core(run_plan p) : plan(p) {
    latencies_ns.reserve(1 << 16);
  }

  /// Records a reply to a request sent at `t0`; returns false once the
  /// caller should stop sending.
  bool on_reply(clock_type::time_point t0) {
    --outstanding;
    auto now = clock_type::now();
    if (now >= plan.warm && t0 >= plan.warm && now < plan.end) {
      ++counted;
      auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - t0);
      latencies_ns.push_back(
        static_cast<uint32_t>(std::min<int64_t>(ns.count(), UINT32_MAX)));
    }
    if (now >= plan.end)
      stopping = true;
    return !stopping;
  }

  /// Records an error reply (or a wrong one) and stops the caller.
  void on_error(std::string what) {
    --outstanding;
    if (errors++ == 0)
      first_error = std::move(what);
    stopping = true;
  }

  bool drained() const {
    return stopping && outstanding == 0;
  }
};

result summarize(caller_core& core, double seconds) {
  result r;
  r.errors = core.errors;
  r.req_per_s = static_cast<double>(core.counted) / seconds;
  auto& all = core.latencies_ns;
  if (!all.empty()) {
    r.p50_us = percentile_us(all, 0.50);
    r.p99_us = percentile_us(all, 0.99);
  }
  return r;
}

int64_t to_int(clock_type::time_point t) {
  return t.time_since_epoch().count();
}

clock_type::time_point from_int(int64_t x) {
  return clock_type::time_point{clock_type::duration{x}};
}

/// Splits "HOST:PORT"; empty on a malformed address.
std::optional<std::pair<std::string, uint16_t>>
split_host_port(const std::string& x) {
  auto colon = x.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == x.size())
    return std::nullopt;
  auto host = x.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  try {
    size_t used = 0;
    auto port = std::stoul(x.substr(colon + 1), &used);
    if (used != x.size() - colon - 1 || port == 0 || port > 65535)
      return std::nullopt;
    return std::make_pair(host, static_cast<uint16_t>(port));
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::string describe_error(const caf::error& err) {
  if (switchboard::code_of(err))
    return switchboard::describe(err);
  return caf::to_string(err);
}

/// Blocks SIGTERM and SIGINT in every thread started after this call, so
/// that `wait_for_stop` takes them synchronously; ignores SIGPIPE.
sigset_t block_stop_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  return signals;
}

void wait_for_stop(const sigset_t& signals) {
  int sig = 0;
  while (sigwait(&signals, &sig) != 0)
    ; // retry
}

// -- CAF callers (a, b, c, e) -------------------------------------------------

/// One caller actor's state. `issue` sends one request; its continuation
/// calls `reply` or `fail`.
struct caf_caller {
  explicit caf_caller(run_plan plan) : core(plan) {
    // nop
  }

  caller_core core;
  std::string payload;
  std::promise<void> done;
  std::function<void()> next; // sends one request, or finishes

  void reply(clock_type::time_point t0, size_t size) {
    if (size != payload.size())
      core.on_error("reply of " + std::to_string(size) + " bytes, expected "
                    + std::to_string(payload.size()));
    else
      core.on_reply(t0);
    next();
  }

  void fail(const caf::error& err) {
    core.on_error(describe_error(err));
    next();
  }
};

/// Runs one caller actor in `sys` that keeps `plan.window` requests in
/// flight with `issue(self, caller)` until the plan ends, and waits for it
/// to drain. Exits the process if replies are lost.
template <class Issue>
result run_caf_caller(caf::actor_system& sys, const run_plan& plan,
                      const std::string& payload, double seconds, Issue issue) {
  auto st = std::make_shared<caf_caller>(plan);
  st->payload = payload;
  auto done = st->done.get_future();
  sys.spawn([st, issue](caf::event_based_actor* self) {
    // `next` refers to `st`, which holds `next`: break the cycle when the
    // caller terminates.
    self->attach_functor([st] { st->next = nullptr; });
    st->next = [self, issue, raw = st.get()] {
      if (raw->core.stopping) {
        if (raw->core.outstanding == 0) {
          raw->done.set_value();
          self->quit();
        }
        return;
      }
      ++raw->core.outstanding;
      issue(self, raw);
    };
    for (size_t i = 0; i < st->core.plan.window; ++i)
      st->next();
    return caf::behavior{[](int64_t) {}};
  });
  if (done.wait_until(plan.end + drain_limit) != std::future_status::ready) {
    std::cerr << "error: " << st->core.outstanding
              << " replies never arrived; giving up\n";
    std::_Exit(1);
  }
  if (st->core.errors > 0)
    std::cerr << "warning: " << st->core.errors
              << " failed requests, first: " << st->core.first_error << '\n';
  return summarize(st->core, seconds);
}

// -- a, b: switchboard mesh ---------------------------------------------------

/// An embedded mesh node connected to one daemon node.
class mesh_client {
public:
  mesh_client(const std::string& name, const system_settings& system,
              const std::string& host, uint16_t port) {
    apply(system, cfg_);
    switchboard::configure_mesh(cfg_);
    sys_.emplace(cfg_);
    router_.emplace(*sys_);
    switchboard::mesh_options opts;
    opts.name = name;
    mesh_.emplace(router_->ref(), opts);
    mesh_->connect(host, port);
  }

  ~mesh_client() {
    mesh_.reset();
    router_.reset();
  }

  bool wait_for_route(const std::string& route) {
    return mesh_->wait_for_route(route, std::chrono::seconds{10});
  }

  result run(const run_plan& plan, const std::string& payload, double seconds) {
    auto ref = router_->ref();
    return run_caf_caller(
      *sys_, plan, payload, seconds,
      [ref](caf::event_based_actor* self, caf_caller* st) {
        auto t0 = clock_type::now();
        ref.call(self, "echo", st->payload)
          .then([st, t0](const std::string& out) { st->reply(t0, out.size()); },
                [st](caf::error& err) { st->fail(err); });
      });
  }

private:
  caf::actor_system_config cfg_;
  std::optional<caf::actor_system> sys_;
  std::optional<switchboard::router> router_;
  std::optional<switchboard::mesh> mesh_;
};

// -- c: plain CAF -------------------------------------------------------------

/// The server of path c: one actor that replies to a string with itself.
int serve_plain(const system_settings& system) {
  auto signals = block_stop_signals();
  caf::actor_system_config cfg;
  apply(system, cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto echo = sys.spawn([]() -> caf::behavior {
    return {[](std::string& x) { return std::move(x); }};
  });
  auto port = sys.middleman().publish(echo, 0, "127.0.0.1", true);
  if (!port) {
    std::cerr << "error: cannot publish: " << sys.render(port.error()) << '\n';
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << *port << std::endl;
  wait_for_stop(signals);
  sys.middleman().unpublish(echo);
  caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  return 0;
}

/// The client of paths c and e: its own actor system and the remote actor
/// (c's echo, or e's relay in front of it).
class plain_client {
public:
  plain_client(const system_settings& system, const std::string& host,
               uint16_t port) {
    apply(system, cfg_);
    cfg_.load<caf::io::middleman>();
    sys_.emplace(cfg_);
    auto remote = sys_->middleman().remote_actor(host, port);
    if (!remote) {
      error_ = sys_->render(remote.error());
      return;
    }
    remote_ = std::move(*remote);
  }

  /// Why the connection failed; empty if it did not.
  const std::string& error() const {
    return error_;
  }

  /// One requester with the whole window outstanding through
  /// `request().then()`: plain CAF's own way, costs included.
  result run(const run_plan& plan, const std::string& payload, double seconds) {
    auto remote = remote_;
    return run_caf_caller(
      *sys_, plan, payload, seconds,
      [remote](caf::event_based_actor* self, caf_caller* st) {
        auto t0 = clock_type::now();
        self->request(remote, caf::infinite, st->payload)
          .then([st, t0](std::string& out) { st->reply(t0, out.size()); },
                [st](caf::error& err) { st->fail(err); });
      });
  }

private:
  caf::actor_system_config cfg_;
  std::optional<caf::actor_system> sys_;
  caf::actor remote_;
  std::string error_;
};

// -- e: plain CAF, relayed ----------------------------------------------------

/// The server of path e: connects to c's echo actor at `echo_addr` and
/// publishes a relay actor that forwards every string to it with
/// `delegate`, so that the echo's reply goes to the original requester, as
/// CAF forwards. The relay keeps no state per request. The echo's node
/// opens no connection of its own to the requester's (CAF 0.17 makes none
/// unless `middleman.enable-automatic-connections` is set; checked with
/// `ss`): replies pass through this process, as requests do.
int serve_relay(const system_settings& system, const std::string& echo_addr) {
  auto signals = block_stop_signals();
  auto hp = split_host_port(echo_addr);
  if (!hp) {
    std::cerr << "error: '" << echo_addr << "' is not HOST:PORT\n";
    return 2;
  }
  caf::actor_system_config cfg;
  apply(system, cfg);
  cfg.load<caf::io::middleman>();
  caf::actor_system sys{cfg};
  auto echo = sys.middleman().remote_actor(hp->first, hp->second);
  if (!echo) {
    std::cerr << "error: cannot reach the echo actor at " << echo_addr << ": "
              << sys.render(echo.error()) << '\n';
    return 1;
  }
  auto relay
    = sys.spawn([echo = *echo](caf::event_based_actor* self) -> caf::behavior {
        return {
          [self, echo](std::string& x) { self->delegate(echo, std::move(x)); }};
      });
  auto port = sys.middleman().publish(relay, 0, "127.0.0.1", true);
  if (!port) {
    std::cerr << "error: cannot publish: " << sys.render(port.error()) << '\n';
    caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
    return 1;
  }
  std::cout << "listening on 127.0.0.1:" << *port << std::endl;
  wait_for_stop(signals);
  sys.middleman().unpublish(relay);
  caf::anon_send_exit(relay, caf::exit_reason::user_shutdown);
  return 0;
}

// -- d: NATS ------------------------------------------------------------------

#ifdef SWITCHBOARD_BENCH_HAVE_NATS

std::string nats_text(natsStatus s) {
  return natsStatus_GetText(s);
}

/// Connects to `url`; `send_asap` sends every publish at once instead of
/// letting libnats' flusher batch them.
natsConnection* nats_connect(const std::string& url, bool send_asap,
                             std::string& error) {
  natsOptions* opts = nullptr;
  natsConnection* nc = nullptr;
  auto s = natsOptions_Create(&opts);
  if (s == NATS_OK)
    s = natsOptions_SetURL(opts, url.c_str());
  if (s == NATS_OK)
    s = natsOptions_SetSendAsap(opts, send_asap);
  if (s == NATS_OK)
    s = natsConnection_Connect(&nc, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    error = "cannot connect to " + url + ": " + nats_text(s);
    return nullptr;
  }
  return nc;
}

void nats_echo(natsConnection* nc, natsSubscription*, natsMsg* msg, void*) {
  if (auto reply = natsMsg_GetReply(msg))
    natsConnection_Publish(nc, reply, natsMsg_GetData(msg),
                           natsMsg_GetDataLength(msg));
  natsMsg_Destroy(msg);
}

/// The responder of path d: replies to every message on `subject` with its
/// payload through a connection that batches its publishes, and on
/// `subject.asap` through one that sends each at once.
int serve_nats(const std::string& url, const std::string& subject) {
  auto signals = block_stop_signals();
  std::string error;
  natsConnection* conns[2]
    = {nats_connect(url, false, error), nats_connect(url, true, error)};
  natsSubscription* subs[2] = {nullptr, nullptr};
  std::string subjects[2] = {subject, subject + ".asap"};
  int rc = 0;
  for (int i = 0; i < 2 && rc == 0; ++i) {
    natsStatus s = NATS_ERR;
    if (conns[i] != nullptr)
      s = natsConnection_Subscribe(&subs[i], conns[i], subjects[i].c_str(),
                                   nats_echo, nullptr);
    if (s == NATS_OK)
      s = natsConnection_Flush(conns[i]);
    if (s != NATS_OK) {
      std::cerr << "error: "
                << (error.empty() ? "cannot subscribe: " + nats_text(s) : error)
                << '\n';
      rc = 1;
    }
  }
  if (rc == 0) {
    std::cout << "ready on " << subjects[0] << " and " << subjects[1]
              << std::endl;
    wait_for_stop(signals);
  }
  for (int i = 0; i < 2; ++i) {
    natsSubscription_Destroy(subs[i]);
    natsConnection_Destroy(conns[i]);
  }
  nats_Close();
  return rc;
}

/// One requester connection: publishes requests with reply subjects under
/// its own inbox prefix and counts the replies of an async subscription on
/// `prefix.*`. The send time travels in the payload's first 8 bytes.
class nats_lane {
public:
  ~nats_lane() {
    natsSubscription_Destroy(sub_);
    natsConnection_Destroy(nc_);
  }

  bool open(const std::string& url, bool send_asap, std::string subject,
            std::string& error) {
    subject_ = std::move(subject);
    nc_ = nats_connect(url, send_asap, error);
    if (nc_ == nullptr)
      return false;
    natsInbox* inbox = nullptr;
    auto s = natsInbox_Create(&inbox);
    if (s == NATS_OK) {
      prefix_ = std::string{inbox} + ".";
      natsInbox_Destroy(inbox);
      s = natsConnection_Subscribe(&sub_, nc_, (prefix_ + "*").c_str(),
                                   on_reply, this);
    }
    if (s == NATS_OK)
      s = natsSubscription_SetPendingLimits(sub_, -1, -1);
    if (s == NATS_OK)
      s = natsConnection_Flush(nc_);
    if (s != NATS_OK) {
      error = "cannot subscribe to replies: " + nats_text(s);
      return false;
    }
    return true;
  }

  result run(const run_plan& plan, const std::string& payload, double seconds) {
    std::unique_lock<std::mutex> guard{mtx_};
    core_.emplace(plan);
    buf_ = payload;
    for (size_t i = 0; i < plan.window; ++i)
      send();
    if (!cv_.wait_until(guard, plan.end + drain_limit,
                        [this] { return core_->drained(); })) {
      std::cerr << "error: " << core_->outstanding
                << " NATS replies never arrived; giving up\n";
      std::_Exit(1);
    }
    if (core_->errors > 0)
      std::cerr << "warning: " << core_->errors
                << " failed requests, first: " << core_->first_error << '\n';
    return summarize(*core_, seconds);
  }

private:
  /// Publishes one request; call with `mtx_` held.
  void send() {
    if (core_->stopping) {
      if (core_->outstanding == 0)
        cv_.notify_all();
      return;
    }
    ++core_->outstanding;
    auto t0 = to_int(clock_type::now());
    std::memcpy(buf_.data(), &t0, sizeof(t0));
    reply_.assign(prefix_);
    reply_ += std::to_string(seq_++);
    auto s = natsConnection_PublishRequest(nc_, subject_.c_str(),
                                           reply_.c_str(), buf_.data(),
                                           static_cast<int>(buf_.size()));
    if (s != NATS_OK) {
      core_->on_error("publish: " + nats_text(s));
      send();
    }
  }

  static void on_reply(natsConnection*, natsSubscription*, natsMsg* msg,
                       void* closure) {
    auto self = static_cast<nats_lane*>(closure);
    auto size = static_cast<size_t>(natsMsg_GetDataLength(msg));
    int64_t t0 = 0;
    if (size >= sizeof(t0))
      std::memcpy(&t0, natsMsg_GetData(msg), sizeof(t0));
    natsMsg_Destroy(msg);
    std::lock_guard<std::mutex> guard{self->mtx_};
    if (!self->core_)
      return;
    if (size != self->buf_.size())
      self->core_->on_error("reply of " + std::to_string(size)
                            + " bytes, expected "
                            + std::to_string(self->buf_.size()));
    else
      self->core_->on_reply(from_int(t0));
    self->send();
  }

  natsConnection* nc_ = nullptr;
  natsSubscription* sub_ = nullptr;
  std::string subject_;
  std::string prefix_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::optional<caller_core> core_;
  std::string buf_;
  std::string reply_;
  uint64_t seq_ = 0;
};

/// The client of path d: one lane for each way of publishing (at once or
/// batched) on this side and on the responder's, opened when first used.
class nats_client {
public:
  nats_client(std::string url, std::string subject)
    : url_(std::move(url)), subject_(std::move(subject)) {
    // nop
  }

  /// Opens a lane; returns an error text on failure.
  std::string open(bool asap, bool replier_asap) {
    auto& lane = lanes_[index(asap, replier_asap)];
    if (lane)
      return {};
    lane = std::make_unique<nats_lane>();
    std::string error;
    if (!lane->open(url_, asap, subject_ + (replier_asap ? ".asap" : ""),
                    error)) {
      lane.reset();
      return error;
    }
    return {};
  }

  /// Runs on a lane opened before.
  result run(const run_plan& plan, const std::string& payload, double seconds,
             bool asap, bool replier_asap) {
    return lanes_[index(asap, replier_asap)]->run(plan, payload, seconds);
  }

private:
  static size_t index(bool asap, bool replier_asap) {
    return (asap ? 2u : 0u) + (replier_asap ? 1u : 0u);
  }

  std::string url_;
  std::string subject_;
  std::unique_ptr<nats_lane> lanes_[4];
};

#endif // SWITCHBOARD_BENCH_HAVE_NATS

// -- driver -------------------------------------------------------------------

/// The paths this build can measure.
std::string compiled_paths() {
  std::string result = "abc";
#ifdef SWITCHBOARD_BENCH_HAVE_NATS
  result += 'd';
#endif
  result += 'e';
  return result;
}

void print(const char* prefix, char path, size_t payload, size_t window,
           const result& r, const std::string& variant) {
  std::cout << prefix << "bench=" << path << " payload=" << payload
            << " window=" << window << " req_per_s=" << std::fixed
            << std::setprecision(0) << r.req_per_s
            << " p50_us=" << std::setprecision(1) << r.p50_us
            << " p99_us=" << r.p99_us;
  if (r.errors > 0)
    std::cout << " errors=" << r.errors;
  if (!variant.empty())
    std::cout << " variant=" << variant;
  std::cout << std::endl;
}

/// This process's CPU time (user + system) so far.
std::chrono::microseconds cpu_time() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto us = [](const timeval& t) {
    return std::chrono::seconds{t.tv_sec}
           + std::chrono::microseconds{t.tv_usec};
  };
  return us(ru.ru_utime) + us(ru.ru_stime);
}

/// Sits idle for `seconds` and prints the CPU time this process used
/// meanwhile: what its actor systems' threads cost with nothing to do
/// but the mesh's heartbeats.
void print_idle_cpu(double seconds) {
  auto before = cpu_time();
  std::this_thread::sleep_for(std::chrono::duration<double>{seconds});
  auto used = std::chrono::duration<double, std::milli>{cpu_time() - before};
  std::cout << "idle seconds=" << std::fixed << std::setprecision(1) << seconds
            << " cpu_ms=" << used.count()
            << " cpu_percent=" << std::setprecision(2)
            << used.count() / (10 * seconds) << std::endl;
}

/// One way of running a path: the path's letter, a variant name (empty for
/// a path with one way) and one run. A path with several variants reports
/// the one with the best median.
struct contender {
  char path;
  std::string variant;
  std::function<result(const run_plan&, const std::string&)> run;
};

int measure(settings& cfg) {
  auto wanted = [&](char x) { return cfg.only.find(x) != std::string::npos; };
  std::cout << "# mesh_bench " << describe(cfg.system)
            << " seconds=" << cfg.seconds << " repeat=" << cfg.repeat
            << " hardware_threads=" << std::thread::hardware_concurrency()
            << std::endl;
  std::vector<contender> contenders;
  auto seconds = cfg.seconds;
  // Adds path `path` if wanted and given: `connect(client, host, port)`
  // sets up `client` and returns why it cannot be used (empty: it can).
  auto add_client = [&](char path, const std::string& addr, auto& client,
                        auto connect) {
    if (!wanted(path))
      return true;
    if (addr.empty()) {
      std::cout << "# (" << path << ") skipped: no address given" << std::endl;
      return true;
    }
    auto hp = split_host_port(addr);
    if (!hp) {
      std::cerr << "error: '" << addr << "' is not HOST:PORT\n";
      return false;
    }
    if (auto why = connect(client, hp->first, hp->second); !why.empty()) {
      std::cerr << "error: (" << path << ") " << why << '\n';
      return false;
    }
    contenders.push_back(
      {path, "",
       [&client, seconds](const run_plan& plan, const std::string& payload) {
         return client->run(plan, payload, seconds);
       }});
    return true;
  };
  // -- a and b
  std::optional<mesh_client> routed;
  std::optional<mesh_client> served;
  auto add_mesh = [&](char path, const std::string& addr,
                      std::optional<mesh_client>& client) {
    return add_client(
      path, addr, client,
      [&](std::optional<mesh_client>& x, const std::string& host,
          uint16_t port) -> std::string {
        x.emplace(std::string{"mesh-bench-"} + path, cfg.system, host, port);
        if (!x->wait_for_route("echo"))
          return "route 'echo' not reachable through " + addr + " within 10 s";
        return {};
      });
  };
  if (!add_mesh('a', cfg.routed, routed) || !add_mesh('b', cfg.served, served))
    return 1;
  // -- c and e
  std::optional<plain_client> plain;
  std::optional<plain_client> relayed;
  auto add_plain = [&](char path, const std::string& addr,
                       std::optional<plain_client>& client) {
    return add_client(path, addr, client,
                      [&](std::optional<plain_client>& x,
                          const std::string& host,
                          uint16_t port) -> std::string {
                        x.emplace(cfg.system, host, port);
                        if (!x->error().empty())
                          return "cannot reach " + addr + ": " + x->error();
                        return {};
                      });
  };
  if (!add_plain('c', cfg.plain, plain))
    return 1;
#ifdef SWITCHBOARD_BENCH_HAVE_NATS
  // -- d
  std::optional<nats_client> nats;
  if (wanted('d')) {
    if (cfg.nats.empty()) {
      std::cout << "# (d) skipped: no NATS URL given" << std::endl;
    } else {
      // libnats either sends each publish at once or lets its flusher
      // thread batch them (which waits ~1 ms per batch); which is faster
      // depends on the window and on the side, so by default every
      // combination runs and d reports the best.
      auto modes = [](const std::string& x) {
        return x == "best" ? std::vector<bool>{true, false}
                           : std::vector<bool>{x == "asap"};
      };
      auto name = [](bool asap) { return asap ? "asap" : "batched"; };
      nats.emplace(cfg.nats, cfg.subject);
      for (bool asap : modes(cfg.nats_requester))
        for (bool replier_asap : modes(cfg.nats_replier)) {
          auto err = nats->open(asap, replier_asap);
          if (!err.empty()) {
            std::cerr << "error: (d) " << err << '\n';
            return 1;
          }
          contenders.push_back(
            {'d',
             std::string{"requester-"} + name(asap) + "/replier-"
               + name(replier_asap),
             [&nats, seconds, asap, replier_asap](const run_plan& plan,
                                                  const std::string& payload) {
               return nats->run(plan, payload, seconds, asap, replier_asap);
             }});
        }
    }
  }
#else
  if (wanted('d'))
    std::cout << "# (d) skipped: libnats-dev not installed" << std::endl;
#endif
  if (!add_plain('e', cfg.relayed, relayed))
    return 1;
  if (contenders.empty()) {
    std::cerr << "error: nothing to measure (give --routed, --served, "
                 "--plain, --nats or --relayed)\n";
    return 1;
  }
  if (cfg.idle_seconds > 0)
    print_idle_cpu(cfg.idle_seconds);
  std::map<std::tuple<char, size_t, size_t>, result> medians;
  std::string paths;
  for (auto& c : contenders)
    if (paths.find(c.path) == std::string::npos)
      paths += c.path;
  for (auto size : cfg.payloads)
    for (auto window : cfg.windows) {
      std::string payload(size, 'x');
      std::vector<std::vector<result>> runs(contenders.size());
      for (size_t rep = 0; rep < cfg.repeat; ++rep)
        // Interleave the paths so that drift hits them alike.
        for (size_t i = 0; i < contenders.size(); ++i)
          runs[i].push_back(
            contenders[i].run(make_plan(window, cfg.seconds), payload));
      for (auto path : paths) {
        std::optional<size_t> best;
        std::vector<result> per_variant(contenders.size());
        for (size_t i = 0; i < contenders.size(); ++i) {
          if (contenders[i].path != path)
            continue;
          auto& xs = runs[i];
          std::sort(xs.begin(), xs.end(), [](const result& x, const result& y) {
            return x.req_per_s < y.req_per_s;
          });
          per_variant[i] = xs[xs.size() / 2];
          if (!best || per_variant[i].req_per_s > per_variant[*best].req_per_s)
            best = i;
        }
        for (size_t i = 0; i < contenders.size(); ++i)
          if (contenders[i].path == path && i != *best)
            print("# not best: ", path, size, window, per_variant[i],
                  contenders[i].variant);
        medians[{path, size, window}] = per_variant[*best];
        print("", path, size, window, per_variant[*best],
              contenders[*best].variant);
      }
    }
  auto ran = [&](char x) { return paths.find(x) != std::string::npos; };
  // Prints x/y for every payload and window: throughput, and at window 1
  // p50 latency.
  auto print_ratios = [&](char x, char y) {
    for (auto size : cfg.payloads)
      for (auto window : cfg.windows) {
        auto& num = medians[{x, size, window}];
        auto& den = medians[{y, size, window}];
        std::cout << "ratio " << x << '/' << y << " payload=" << size
                  << " window=" << window << " value=" << std::setprecision(2)
                  << (den.req_per_s > 0 ? num.req_per_s / den.req_per_s : 0.0)
                  << std::endl;
        if (window == 1)
          std::cout << "ratio_p50 " << x << '/' << y << " payload=" << size
                    << " window=" << window << " value=" << std::setprecision(2)
                    << (den.p50_us > 0 ? num.p50_us / den.p50_us : 0.0)
                    << std::endl;
      }
  };
  if (ran('d')) {
    std::cout << "# ratios to d (NATS): median throughput x/d (higher is "
                 "better), and at window 1 p50 latency x/d (lower is better)"
              << std::endl;
    for (auto path : paths)
      if (path != 'd')
        print_ratios(path, 'd');
  }
  if (ran('a') && ran('e')) {
    std::cout << "# a/e, the router's two-node path against plain CAF over "
                 "the same two hops: median throughput a/e (higher is "
                 "better), and at window 1 p50 latency a/e (lower is better)"
              << std::endl;
    print_ratios('a', 'e');
  }
  return 0;
}

} // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  settings cfg;
  bool serve_plain_mode = false;
  bool list_paths = false;
  std::string serve_relay_addr;
  std::string serve_nats_url;
  CLI::App app{"mesh_bench: requests across the network through the "
               "switchboard mesh vs plain CAF vs NATS, in one run (see "
               "bench/mesh_bench.sh)"};
  app.add_flag("--serve-plain", serve_plain_mode,
               "serve path c: publish an echo actor on 127.0.0.1, port "
               "picked by the OS, print `listening on HOST:PORT`, run until "
               "SIGTERM");
  app.add_option("--serve-relay", serve_relay_addr,
                 "serve path e: connect to the echo actor of --serve-plain at "
                 "HOST:PORT, publish a relay actor that delegates to it on "
                 "127.0.0.1, port picked by the OS, print `listening on "
                 "HOST:PORT`, run until SIGTERM");
  app.add_option("--serve-nats", serve_nats_url,
                 "serve path d: answer requests on --subject through the "
                 "NATS server at URL, print `ready ...`, run until SIGTERM");
  app.add_option("--routed", cfg.routed,
                 "path a: HOST:PORT of the daemon node that forwards to the "
                 "worker node");
  app.add_option("--served", cfg.served,
                 "path b: HOST:PORT of a daemon node serving `echo`");
  app.add_option("--plain", cfg.plain,
                 "path c: HOST:PORT printed by --serve-plain");
  app.add_option("--nats", cfg.nats, "path d: NATS URL, nats://HOST:PORT");
  app.add_option("--relayed", cfg.relayed,
                 "path e: HOST:PORT printed by --serve-relay");
  app.add_option("--subject", cfg.subject, "NATS subject of the responder");
  app
    .add_option("--nats-requester", cfg.nats_requester,
                "how the NATS requester publishes: asap (each at once), "
                "batched (by libnats' flusher), best (run both, report the "
                "faster)")
    ->check(CLI::IsMember({"best", "asap", "batched"}));
  app
    .add_option("--nats-replier", cfg.nats_replier,
                "how the NATS responder publishes replies: asap, batched, "
                "best (as for --nats-requester)")
    ->check(CLI::IsMember({"best", "asap", "batched"}));
  app
    .add_option("--threads", cfg.system.threads,
                "CAF scheduler threads of each actor system")
    ->check(CLI::PositiveNumber);
  app
    .add_option("--scheduler", cfg.system.scheduler,
                "CAF scheduler policy of each actor system (the script also "
                "puts it in the daemons' [node] scheduler); without it each "
                "keeps its default: configure_mesh's for the embedded "
                "callers, CAF's for plain CAF")
    ->check(CLI::IsMember({"stealing", "sharing"}));
  app.add_option("--caf", cfg.system.caf,
                 "KEY=VALUE: a CAF setting for this process's actor systems "
                 "only (not the daemons), VALUE in CAF's syntax, e.g. "
                 "work-stealing.moderate-sleep-duration=0us or "
                 "scheduler.policy='stealing'");
  app
    .add_option("--idle-seconds", cfg.idle_seconds,
                "before measuring, sit idle this long with every client "
                "connected and print this process's CPU time meanwhile "
                "(use --only b: the NATS client has threads of its own)")
    ->check(CLI::NonNegativeNumber);
  app.add_option("--seconds", cfg.seconds, "measured time per run");
  app.add_option("--repeat", cfg.repeat, "runs per measurement (median)")
    ->check(CLI::PositiveNumber);
  app.add_flag("--quick", cfg.quick, "short runs, one each");
  app.add_option("--payloads", cfg.payloads, "payload sizes in bytes (>= 8)")
    ->check(CLI::Range(size_t{8}, size_t{1} << 20));
  app.add_option("--windows", cfg.windows, "requests in flight")
    ->check(CLI::PositiveNumber);
  app.add_option("--only", cfg.only, "paths to run, e.g. \"ace\"");
  app.add_flag("--list-paths", list_paths,
               "print the paths this build can measure, e.g. \"abcde\"");
  CLI11_PARSE(app, argc, argv);
  if (!valid(cfg.system))
    return 2;
  if (list_paths) {
    std::cout << compiled_paths() << std::endl;
    return 0;
  }
  if (serve_plain_mode)
    return serve_plain(cfg.system);
  if (!serve_relay_addr.empty())
    return serve_relay(cfg.system, serve_relay_addr);
  if (!serve_nats_url.empty()) {
#ifdef SWITCHBOARD_BENCH_HAVE_NATS
    return serve_nats(serve_nats_url, cfg.subject);
#else
    std::cerr << "error: built without libnats (install libnats-dev and "
                 "rebuild)\n";
    return 2;
#endif
  }
  if (cfg.quick) {
    cfg.seconds = 0.25;
    cfg.repeat = 1;
  }
  signal(SIGPIPE, SIG_IGN);
  return measure(cfg);
}
