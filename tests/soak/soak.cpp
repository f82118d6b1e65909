// The chaos soak of issue 11: node 1 runs in this process (library and
// mesh) with routes of every handler form and callers on several threads;
// nodes 2 and 3 are `switchboard serve` child processes whose routes node 1
// calls through the mesh. While the callers run, faults are injected:
// handlers throw on 5 % of their calls, random workers are killed, routes are
// replaced, removed and added again, and node 3 is killed with SIGKILL and
// started again every few seconds.
//
// Every call carries a deadline and a unique id. At the end the soak waits
// (bounded) for every answer, prints what it counted and exits non-zero if
// a call was answered twice, never, or later than its deadline + 100 ms, if
// a value was wrong, or if resident memory grew after warm-up beyond the
// bound printed with it.
//
// Usage: soak [--seconds N] (default 60). See docs/reliability.md.

#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <CLI/CLI.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "daemon/process.hpp"
#include "load/rss.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/mesh.hpp"
#include "switchboard/switchboard.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

/// Deadlines of the calls: local routes, routes of nodes 2 and 3.
constexpr auto local_deadline = 250ms;
constexpr auto remote_deadline = 1s;
/// An answer later than deadline + this counts as late.
constexpr auto late_slack = 100ms;
/// Calls each caller keeps in flight.
constexpr size_t window = 16;
/// Node 3 is killed (SIGKILL) and started again this often.
constexpr auto node_kill_period = 3s;
/// Resident memory at the end of the load may exceed what it was after
/// warm-up by this much (KiB) plus `rss_growth_ratio` of it.
constexpr uint64_t rss_growth_kib = 8 * 1024;
constexpr double rss_growth_ratio = 0.10;
/// Node 1's heap in use (malloc's own count, free of allocator caching)
/// may grow this much after warm-up: it stays within ~50 KiB of 1 MiB
/// under this load, while one leaked worker per restart added ~40 KiB/s.
constexpr uint64_t heap_growth_kib = 1024;

/// Bytes in use on node 1's heap (every malloc arena), in KiB.
uint64_t heap_in_use_kib() {
  auto x = ::mallinfo2();
  return (x.uordblks + x.hblkhd) / 1024;
}

double seconds_since(steady::time_point t) {
  return std::chrono::duration<double>(steady::now() - t).count();
}

// -- what the callers call ----------------------------------------------------

/// The argument a target takes.
enum class arg_kind { int32, text };

/// One route the callers call, and what a right answer to a call is.
struct target {
  std::string name;
  arg_kind kind = arg_kind::int32;
  caf::timespan deadline = local_deadline;
  /// How often it is picked, relative to the others.
  int weight = 1;
  /// Local routes may also be called through a resolved handle.
  bool local = true;
  /// For text targets: the payload sent for a random number.
  std::function<std::string(uint32_t)> payload;
  /// For text targets: the right answer to a payload.
  std::function<std::string(const std::string&)> expect;
};

std::string same(const std::string& x) {
  return x;
}

std::vector<target> make_targets() {
  std::vector<target> xs;
  auto local = [&](std::string name, int weight) {
    target t;
    t.name = std::move(name);
    t.weight = weight;
    xs.push_back(std::move(t));
  };
  local("fn", 4);
  local("async", 3);
  local("stateful", 3);
  local("behavior", 3);
  local("expect", 2);
  local("members", 2);
  local("bcast", 1);
  local("hash", 2);
  local("slow", 2);
  local("nested", 2);
  local("tmp", 1);
  auto remote = [&](std::string name, int weight,
                    std::function<std::string(uint32_t)> payload,
                    std::function<std::string(const std::string&)> expect) {
    target t;
    t.name = std::move(name);
    t.kind = arg_kind::text;
    t.deadline = remote_deadline;
    t.weight = weight;
    t.local = false;
    t.payload = std::move(payload);
    t.expect = std::move(expect);
    xs.push_back(std::move(t));
  };
  auto number = [](uint32_t x) { return std::to_string(x); };
  auto size_of = [](const std::string& x) { return std::to_string(x.size()); };
  // 1 in 20 sleeps past the deadline: those end with `timeout`.
  auto nap
    = [](uint32_t x) { return std::string{x % 20 == 0 ? "1500ms" : "5ms"}; };
  auto slept = [](const std::string& x) { return "slept " + x; };
  for (std::string node : {"n2", "n3"}) {
    remote(node + ".echo", 3, number, same);
    remote(node + ".size", 1, number, size_of);
    remote(node + ".fail", 1, number, same); // always handler_failed
    remote(node + ".sleep", 1, nap, slept);
  }
  remote("n2.exec", 1, number, same);
  remote("both.echo", 2, number, same);
  return xs;
}

// -- node 1's routes
// ------------------------------------------------------------

/// Throws on 5 % of the calls (the arguments are random).
int32_t maybe_throw(int32_t x) {
  if (x % 20 == 0)
    throw std::runtime_error("chaos: thrown on purpose");
  return x;
}

core::route_options local_options(size_t workers) {
  core::route_options opts;
  opts.workers = workers;
  opts.timeout = local_deadline;
  // Workers are killed at random all the time: never run out of restarts.
  opts.max_restarts = 100000;
  opts.restart_window = 1s;
  return opts;
}

handler fn_handler() {
  return make_handler([](int32_t x) { return maybe_throw(x); });
}

handler stateful_handler() {
  return per_worker([] {
    return [n = int64_t{0}](int32_t x) mutable {
      ++n;
      return maybe_throw(x);
    };
  });
}

handler hash_handler() {
  return make_handler([](int32_t x) { return x; });
}

/// Adds the routes of node 1: one of every handler form, every policy.
bool add_local_routes(router& sb, const std::vector<caf::actor>& members) {
  auto ref = sb.ref();
  std::vector<route_spec> specs;
  specs.push_back({"fn", fn_handler(), local_options(2)});
  specs.push_back(
    {"async", make_handler([](responder<int32_t> r, int32_t x) {
       if (x % 20 == 0)
         r.deliver(make_error(error_code::handler_failed, "chaos: refused"));
       else if (x % 3 == 0)
         r.deliver_after(2ms, x);
       else
         r.deliver(x);
     }),
     local_options(2)});
  specs.push_back({"stateful", stateful_handler(), local_options(2)});
  specs.push_back({"behavior", behavior_factory([](caf::event_based_actor*) {
                     return caf::behavior{
                       [](int32_t x) { return maybe_throw(x); }};
                   }),
                   local_options(2)});
  specs.push_back(
    {"expect", make_handler([](int32_t x) -> caf::expected<int32_t> {
       if (x % 20 == 1)
         return make_error(error_code::handler_failed, "chaos: expected");
       return x;
     }),
     local_options(2)});
  specs.push_back({"members", actors(members), local_options(1)});
  auto bcast = local_options(3);
  bcast.policy = core::policy_kind::broadcast;
  bcast.reply = core::broadcast_reply::first;
  specs.push_back({"bcast", make_handler([](int32_t x) { return x; }), bcast});
  auto hash = local_options(3);
  hash.policy = core::policy_kind::consistent_hash;
  specs.push_back({"hash", hash_handler(), hash});
  auto least = local_options(2);
  least.policy = core::policy_kind::least_loaded;
  specs.push_back({"slow", make_handler([](responder<int32_t> r, int32_t x) {
                     // 1 in 10 answers after the deadline: those end with
                     // `timeout`.
                     r.deliver_after(x % 10 == 0 ? 400ms : 1ms, x);
                   }),
                   least});
  auto random = local_options(2);
  random.policy = core::policy_kind::random;
  specs.push_back({"nested",
                   make_handler([ref](responder<int32_t> r, int32_t x) {
                     ref.call(r.self(), "fn", x)
                       .timeout(200ms)
                       .then([r](int32_t y) mutable { r.deliver(y); },
                             [r](caf::error& err) mutable { r.deliver(err); });
                   }),
                   random});
  specs.push_back({"tmp", fn_handler(), local_options(1)});
  auto errs = sb.add_all(std::move(specs));
  for (auto& err : errs)
    if (err) {
      std::cerr << "soak: cannot add a route: " << describe(err) << "\n";
      return false;
    }
  return true;
}

// -- tallies ------------------------------------------------------------------

std::string millis(steady::duration d) {
  return std::to_string(
    std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}

/// A call answered after its deadline + `late_slack`.
struct late_call {
  steady::time_point due;      // issue + deadline
  steady::time_point answered; // when the caller ran its continuation
  steady::duration over;       // beyond deadline + late_slack
  uint64_t caller = 0;         // the caller's index (1-based)
};

/// What the soak counted, from every caller.
struct tally {
  std::atomic<uint64_t> issued{0};
  std::atomic<uint64_t> values{0};
  std::atomic<uint64_t> wrong_values{0};
  std::atomic<uint64_t> twice{0};
  std::atomic<uint64_t> late{0};
  /// Errors of another category than switchboard's.
  std::atomic<uint64_t> foreign_errors{0};
  std::array<std::atomic<uint64_t>, 32> by_code{};

  std::mutex mtx;
  /// The first anomalies, to say what went wrong.
  std::vector<std::string> anomalies;

  /// Late calls that their caller's lag probe does not explain.
  std::atomic<uint64_t> late_unexplained{0};

  void note(std::string what) {
    std::lock_guard<std::mutex> guard{mtx};
    if (anomalies.size() < 20)
      anomalies.push_back(std::move(what));
  }
};

// -- scheduling lag -----------------------------------------------------------

/// How late CAF runs an actor's timed messages: the actor asks for a
/// message every 10 ms and notes how much later than due it runs. A call's
/// timeout reaches its caller the same way (a timer, then the scheduler),
/// so when a caller's own probe ran at least as late as a late call while
/// that call waited, the caller was held up by the machine (2 shared cores,
/// other processes) and not by the router. Every caller runs one; the soak
/// counts all late calls and fails on those their caller's probe does not
/// explain. One probe actor of its own shows the node's lag overall.
struct lag_probe {
  /// A stall: the probe ran `lag` after it was due, at `end`.
  struct stall {
    steady::time_point end;
    steady::duration lag;
  };

  /// The latest stalls (lag > 10 ms), in a ring allocated up front (so the
  /// probe adds nothing to the memory the soak watches).
  static constexpr size_t ring_size = 4096;

  std::mutex mtx;
  std::vector<stall> stalls = std::vector<stall>(ring_size);
  size_t next = 0;
  uint64_t stall_count = 0;
  steady::duration max_lag{0};
  uint64_t samples = 0;

  void add(steady::time_point end, steady::duration lag) {
    std::lock_guard<std::mutex> guard{mtx};
    ++samples;
    if (lag > max_lag)
      max_lag = lag;
    if (lag > 10ms) {
      stalls[next] = stall{end, lag};
      next = (next + 1) % ring_size;
      ++stall_count;
    }
  }

  /// Whether the probe ran at least `x.over` late at some point while the
  /// late call waited for its continuation (from its due time on).
  bool explains(const late_call& x) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& s : stalls)
      if (s.lag > steady::duration{0} && s.lag >= x.over && s.end >= x.due
          && s.end - s.lag <= x.answered)
        return true;
    return false;
  }
};

using probe_atom = caf::atom_constant<caf::atom("probe")>;

constexpr auto probe_period = 10ms;

caf::actor spawn_lag_probe(caf::actor_system& sys,
                           std::shared_ptr<lag_probe> probe) {
  return sys.spawn([probe](caf::event_based_actor* self) -> caf::behavior {
    auto due
      = std::make_shared<steady::time_point>(steady::now() + probe_period);
    self->delayed_send(self, probe_period, probe_atom::value);
    return {
      [self, probe, due](probe_atom) {
        auto now = steady::now();
        probe->add(now, now > *due ? now - *due : steady::duration{0});
        *due = now + probe_period;
        self->delayed_send(self, probe_period, probe_atom::value);
      },
    };
  });
}

/// A call waiting for its answer.
struct pending {
  steady::time_point issued;
  caf::timespan deadline;
  size_t target = 0;
};

/// One caller's calls in flight, readable by the main thread at the end.
struct caller_book {
  std::mutex mtx;
  std::unordered_map<uint64_t, pending> open;
  bool finished = false;
  /// How late the caller itself ran its own timed messages.
  lag_probe lag;
  /// Late calls not yet judged against `lag` (its stall may be noted a
  /// moment after the late answer).
  std::vector<late_call> unresolved;

  void add_late(late_call x) {
    std::lock_guard<std::mutex> guard{mtx};
    if (unresolved.size() < 4096)
      unresolved.push_back(x);
    else
      ++overflow;
  }

  /// Judges the late calls answered before `now - grace` (all if `grace`
  /// is zero); returns how many the probe does not explain.
  uint64_t judge(steady::time_point now, steady::duration grace) {
    std::lock_guard<std::mutex> guard{mtx};
    uint64_t result = overflow;
    overflow = 0;
    auto i = unresolved.begin();
    while (i != unresolved.end()) {
      if (lag.explains(*i)) {
        i = unresolved.erase(i);
      } else if (grace == steady::duration{0} || now - i->answered > grace) {
        ++result;
        i = unresolved.erase(i);
      } else {
        ++i;
      }
    }
    return result;
  }

  uint64_t overflow = 0;
};

/// What every caller shares.
struct world {
  std::vector<target> targets;
  std::vector<int> cumulative; // weights, for picking
  tally counts;
  std::atomic<bool> stop{false};
  std::mutex mtx;
  std::condition_variable finished;
  size_t callers_finished = 0;
};

/// A caller's own state (only its actor touches it).
struct caller_local {
  std::minstd_rand rng;
  uint64_t seq = 0;
  std::vector<std::optional<route_handle>> handles;
};

using next_atom = caf::atom_constant<caf::atom("next")>;

/// Spawns a caller: it keeps `window` calls in flight, each to a random
/// target, until `w->stop`; then it waits for its answers and quits.
caf::actor spawn_caller(caf::actor_system& sys, bool detached, router_ref ref,
                        std::shared_ptr<world> w,
                        std::shared_ptr<caller_book> book, uint64_t index) {
  auto fun
    = [ref, w, book, index](caf::event_based_actor* self) -> caf::behavior {
    auto st = std::make_shared<caller_local>();
    st->rng.seed(static_cast<uint32_t>(index * 7919 + 1));
    st->handles.resize(w->targets.size());
    auto issue = std::make_shared<std::function<void()>>();
    // Records an answer; issues the next call unless the soak is stopping,
    // quits once it stopped and nothing is left in flight.
    auto answered = [self, w, book, st, index](uint64_t id, bool value,
                                               bool right,
                                               const caf::error* err) {
      auto now = steady::now();
      auto& c = w->counts;
      std::optional<pending> p;
      bool done = false;
      {
        std::lock_guard<std::mutex> guard{book->mtx};
        auto i = book->open.find(id);
        if (i != book->open.end()) {
          p = i->second;
          book->open.erase(i);
        }
        done = w->stop && book->open.empty() && !book->finished;
        if (done)
          book->finished = true;
      }
      auto& t = p ? w->targets[p->target] : w->targets[0];
      if (!p) {
        ++c.twice;
        c.note("call " + std::to_string(id) + " answered twice");
      } else {
        auto took = now - p->issued;
        if (took > p->deadline + late_slack) {
          ++c.late;
          book->add_late(late_call{p->issued + p->deadline, now,
                                   took - p->deadline - late_slack, index});
          c.note("call to '" + t.name + "' answered after " + millis(took)
                 + " ms (deadline " + millis(p->deadline)
                 + " ms): " + (err ? describe(*err) : std::string{"a value"}));
        }
        if (value) {
          ++c.values;
          if (!right) {
            ++c.wrong_values;
            c.note("call to '" + t.name + "' answered a wrong value");
          }
        } else if (auto code = code_of(*err)) {
          ++c.by_code[static_cast<size_t>(*code)];
          if (*code == error_code::no_such_route && t.local)
            st->handles[p->target].reset(); // resolve again next time
        } else {
          ++c.foreign_errors;
          c.note("call to '" + t.name + "': " + describe(*err));
        }
      }
      if (done) {
        {
          std::lock_guard<std::mutex> guard{w->mtx};
          ++w->callers_finished;
        }
        w->finished.notify_all();
        self->quit();
        return;
      }
      if (!w->stop)
        self->send(self, next_atom::value);
    };
    auto due
      = std::make_shared<steady::time_point>(steady::now() + probe_period);
    self->delayed_send(self, probe_period, probe_atom::value);
    *issue = [self, ref, w, book, st, index, answered] {
      auto pick = static_cast<int>(st->rng() % w->cumulative.back());
      size_t ti = 0;
      while (w->cumulative[ti] <= pick)
        ++ti;
      auto& t = w->targets[ti];
      auto id = (index << 40) | st->seq++;
      auto x = static_cast<uint32_t>(st->rng()) & 0x7fffffffu;
      {
        std::lock_guard<std::mutex> guard{book->mtx};
        book->open.emplace(id, pending{steady::now(), t.deadline, ti});
      }
      ++w->counts.issued;
      if (t.kind == arg_kind::text) {
        auto payload = t.payload(x);
        auto want = t.expect(payload);
        ref.call(self, t.name, payload)
          .timeout(t.deadline)
          .then(
            [answered, id, want](const std::string& y) {
              answered(id, true, y == want, nullptr);
            },
            [answered, id](caf::error& err) {
              answered(id, false, false, &err);
            });
        return;
      }
      auto arg = static_cast<int32_t>(x);
      auto on_value = [answered, id, arg](int32_t y) {
        answered(id, true, y == arg, nullptr);
      };
      auto on_error
        = [answered, id](caf::error& err) { answered(id, false, false, &err); };
      // A third of the local calls go through a resolved handle.
      if (t.local && st->rng() % 3 == 0) {
        auto& h = st->handles[ti];
        if (!h)
          if (auto resolved = ref.resolve(t.name))
            h = std::move(*resolved);
        if (h) {
          h->call(self, arg).timeout(t.deadline).then(on_value, on_error);
          return;
        }
      }
      ref.call(self, t.name, arg).timeout(t.deadline).then(on_value, on_error);
    };
    for (size_t i = 0; i < window; ++i)
      (*issue)();
    return {
      [issue](next_atom) { (*issue)(); },
      [self, w, book, due](probe_atom) {
        auto now = steady::now();
        book->lag.add(now, now > *due ? now - *due : steady::duration{0});
        w->counts.late_unexplained += book->judge(now, 2s);
        *due = now + probe_period;
        self->delayed_send(self, probe_period, probe_atom::value);
      },
    };
  };
  if (detached)
    return sys.spawn<caf::detached>(fun);
  return sys.spawn(fun);
}

// -- nodes 2 and 3
// --------------------------------------------------------------

/// A `switchboard serve` child; its standard error goes to a file (a pipe
/// nobody reads would fill up and stop it).
struct child_node {
  std::string bin;
  std::string name;
  std::string config;
  std::string log;
  std::unique_ptr<test::process> proc;

  /// Starts the node and waits (bounded) for its "listening on" line.
  bool start() {
    proc = std::make_unique<test::process>(std::vector<std::string>{
      "/bin/sh", "-c", "exec \"$0\" serve --config \"$1\" 2>>\"$2\"", bin,
      config, log});
    auto line = proc->read_line(20s);
    if (line.rfind("listening on ", 0) != 0) {
      std::cerr << "soak: node " << name << " did not start: '" << line
                << "' (see " << log << ")\n";
      return false;
    }
    return true;
  }

  void kill() {
    proc->signal(SIGKILL);
    proc->wait(10s);
  }

  pid_t pid() const {
    return proc ? proc->pid() : -1;
  }
};

std::string child_config(const std::string& name, uint16_t node1_port) {
  std::ostringstream out;
  out << "[node]\nname = \"" << name << "\"\nlisten = \"127.0.0.1:0\"\n"
      << "drain = \"1s\"\n\n[limits]\ntimeout = \"1s\"\n\n"
      << "[mesh]\nheartbeat = \"100ms\"\npeer_timeout = \"500ms\"\n"
      << "retry_max = \"200ms\"\n\n"
      << "[[peer]]\nconnect = \"127.0.0.1:" << node1_port << "\"\n";
  auto route
    = [&](const std::string& route, const std::string& handler, int workers) {
        out << "\n[[route]]\nname = \"" << route << "\"\nhandler = \""
            << handler << "\"\nworkers = " << workers << "\n";
      };
  route(name + ".echo", "echo", 2);
  route(name + ".size", "size", 1);
  route(name + ".fail", "fail", 1);
  route(name + ".sleep", "sleep", 2);
  route("both.echo", "echo", 2);
  if (name == "n2")
    out << "\n[[route]]\nname = \"n2.exec\"\nexec = [\"/bin/cat\"]\n"
        << "workers = 2\n";
  return out.str();
}

// -- chaos
// ----------------------------------------------------------------------

struct chaos_counts {
  uint64_t workers_killed = 0;
  uint64_t replaced = 0;
  uint64_t removed = 0;
  uint64_t node_kills = 0;
};

/// Kills one random worker of a random handler route of node 1.
bool kill_random_worker(router& sb, std::minstd_rand& rng) {
  static const std::vector<std::string> names{
    "fn",    "async", "stateful", "behavior", "expect",
    "bcast", "hash",  "slow",     "nested",   "tmp"};
  auto h = sb.resolve(names[rng() % names.size()]);
  if (!h)
    return false;
  const detail::pool* p = nullptr;
  if (h->current(p) == nullptr || p == nullptr || p->workers.empty())
    return false;
  caf::anon_send_exit(p->workers[rng() % p->workers.size()].handle,
                      caf::exit_reason::kill);
  return true;
}

/// Replaces one of the replaceable routes with an equal one of another
/// size.
bool replace_random_route(router& sb, std::minstd_rand& rng) {
  auto workers = 1 + rng() % 3;
  switch (rng() % 3) {
  case 0:
    return !sb.replace("fn", fn_handler(), local_options(workers));
  case 1:
    return !sb.replace("stateful", stateful_handler(), local_options(workers));
  default: {
    auto opts = local_options(workers);
    opts.policy = core::policy_kind::consistent_hash;
    return !sb.replace("hash", hash_handler(), opts);
  }
  }
}

// -- memory
// ---------------------------------------------------------------------

struct rss_watch {
  pid_t pid = 0;
  uint64_t warm = 0;      // after warm-up
  uint64_t max_after = 0; // the most seen after warm-up
  uint64_t end = 0;       // when the load stopped

  void sample(bool warmed) {
    auto now = test::rss_kib(pid);
    if (warmed && now > max_after)
      max_after = now;
  }

  uint64_t bound() const {
    return warm + rss_growth_kib
           + static_cast<uint64_t>(rss_growth_ratio
                                   * static_cast<double>(warm));
  }
};

std::string mib(uint64_t kib) {
  std::ostringstream out;
  out << std::fixed << std::setprecision(1) << static_cast<double>(kib) / 1024.0
      << " MiB";
  return out.str();
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"switchboard chaos soak (issue 11)"};
  int seconds = 60;
  app.add_option("--seconds", seconds, "How long the load runs (default 60)")
    ->check(CLI::PositiveNumber);
  std::string bin = SWITCHBOARD_BIN;
  app.add_option("--switchboard", bin,
                 "The switchboard binary for nodes 2 and 3 (default: the one "
                 "built with the soak)");
  CLI11_PARSE(app, argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  raise_fd_limit();
  auto started = steady::now();
  auto load_time = std::chrono::seconds{seconds};
  auto warmup = std::clamp<std::chrono::milliseconds>(
    std::chrono::duration_cast<std::chrono::milliseconds>(load_time) / 5,
    2000ms, 120000ms);
  // Scratch directory for the child nodes' configuration and logs.
  char tmpl[] = "/tmp/switchboard-soak-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    std::perror("soak: mkdtemp");
    return 2;
  }
  std::string dir = tmpl;
  // -- node 1
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 4);
  configure_mesh(cfg);
  caf::actor_system sys{cfg};
  auto exit_code = 0;
  {
    router sb{sys};
    std::vector<caf::actor> members;
    for (int i = 0; i < 2; ++i)
      members.push_back(sys.spawn(
        []() -> caf::behavior { return {[](int32_t x) { return x; }}; }));
    if (!add_local_routes(sb, members))
      return 2;
    mesh_options mopts;
    mopts.name = "n1";
    mopts.heartbeat = 100ms;
    mopts.peer_timeout = 500ms;
    auto mesh_log = std::make_shared<std::ofstream>(dir + "/n1.log");
    auto log_mtx = std::make_shared<std::mutex>();
    mopts.log = [mesh_log, log_mtx](const std::string& line) {
      std::lock_guard<std::mutex> guard{*log_mtx};
      *mesh_log << line << '\n';
    };
    std::optional<mesh> net;
    net.emplace(sb.ref(), mopts);
    auto port = net->listen(0, "127.0.0.1");
    if (!port) {
      std::cerr << "soak: node 1 cannot listen: " << describe(port.error())
                << "\n";
      return 2;
    }
    // -- nodes 2 and 3
    std::vector<child_node> children(2);
    for (size_t i = 0; i < 2; ++i) {
      auto& c = children[i];
      c.bin = bin;
      c.name = "n" + std::to_string(i + 2);
      c.config = dir + "/" + c.name + ".toml";
      c.log = dir + "/" + c.name + ".log";
      std::ofstream{c.config} << child_config(c.name, *port);
      if (!c.start())
        return 2;
    }
    for (auto route : {"n2.echo", "n3.echo", "n2.exec", "both.echo"})
      if (!net->wait_for_route(route, 20s)) {
        std::cerr << "soak: route " << route << " never became reachable\n";
        return 2;
      }
    // -- callers
    auto w = std::make_shared<world>();
    w->targets = make_targets();
    int sum = 0;
    for (auto& t : w->targets)
      w->cumulative.push_back(sum += t.weight);
    constexpr size_t scheduled_callers = 6;
    constexpr size_t detached_callers = 2;
    std::vector<std::shared_ptr<caller_book>> books;
    std::vector<caf::actor> callers;
    auto lag = std::make_shared<lag_probe>();
    auto probe = spawn_lag_probe(sys, lag);
    auto load_start = steady::now();
    for (size_t i = 0; i < scheduled_callers + detached_callers; ++i) {
      books.push_back(std::make_shared<caller_book>());
      callers.push_back(spawn_caller(sys, i >= scheduled_callers, sb.ref(), w,
                                     books.back(), i + 1));
    }
    // -- chaos, on this thread, until the load time is over
    chaos_counts chaos;
    std::minstd_rand rng{42};
    rss_watch rss1, rss2;
    rss2.pid = children[0].pid();
    auto next_node_kill = load_start + node_kill_period;
    auto tmp_removed = false;
    auto warmed = false;
    uint64_t heap_warm = 0;
    std::mutex pace_mtx;
    std::condition_variable pace; // never notified: paces the chaos ticks
    while (steady::now() - load_start < load_time) {
      {
        std::unique_lock<std::mutex> guard{pace_mtx};
        pace.wait_for(guard, 20ms);
      }
      if (!warmed && steady::now() - load_start >= warmup) {
        warmed = true;
        rss1.warm = test::rss_kib();
        heap_warm = heap_in_use_kib();
        rss2.warm = test::rss_kib(rss2.pid);
      }
      rss1.sample(warmed);
      rss2.sample(warmed);
      auto roll = rng() % 100;
      if (roll < 50) {
        chaos.workers_killed += kill_random_worker(sb, rng) ? 1 : 0;
      } else if (roll < 60) {
        if (replace_random_route(sb, rng))
          ++chaos.replaced;
      } else if (roll < 66) {
        if (tmp_removed) {
          if (!sb.add("tmp", fn_handler(), local_options(1)))
            tmp_removed = false;
        } else if (!sb.remove("tmp")) {
          tmp_removed = true;
          ++chaos.removed;
        }
      }
      if (steady::now() >= next_node_kill) {
        children[1].kill();
        ++chaos.node_kills;
        if (!children[1].start()) {
          exit_code = 2;
          break;
        }
        next_node_kill = steady::now() + node_kill_period;
      }
    }
    if (tmp_removed)
      static_cast<void>(sb.add("tmp", fn_handler(), local_options(1)));
    rss1.end = test::rss_kib();
    auto heap_end = heap_in_use_kib();
    rss2.end = test::rss_kib(rss2.pid);
    auto load_secs = seconds_since(load_start);
    // -- drain: every call ends by its deadline; wait that long and a grace
    w->stop = true;
    auto all_done = false;
    {
      std::unique_lock<std::mutex> guard{w->mtx};
      all_done
        = w->finished.wait_for(guard, remote_deadline + late_slack + 5s, [&] {
            return w->callers_finished == callers.size();
          });
    }
    uint64_t never = 0;
    for (auto& b : books) {
      std::lock_guard<std::mutex> guard{b->mtx};
      never += b->open.size();
      for (auto& [id, p] : b->open)
        w->counts.note("call " + std::to_string(id) + " to '"
                       + w->targets[p.target].name + "' never answered");
    }
    auto rss1_drained = test::rss_kib();
    uint64_t late_unexplained = w->counts.late_unexplained;
    for (auto& b : books)
      late_unexplained += b->judge(steady::now(), steady::duration{0});
    // -- report
    auto& c = w->counts;
    std::ostringstream out;
    out << "soak: " << std::fixed << std::setprecision(1) << load_secs
        << " s of load, node 1 in process + nodes 2 and 3 (switchboard serve), "
        << callers.size() << " callers (" << detached_callers
        << " on their own threads) x " << window << " calls in flight\n";
    out << "chaos: 5 % of handler calls fail, " << chaos.workers_killed
        << " workers killed, " << chaos.replaced << " routes replaced, "
        << chaos.removed << " removed and added again, node 3 killed (SIGKILL) "
        << "and restarted " << chaos.node_kills << " times\n";
    out << "calls issued:            " << c.issued << " ("
        << static_cast<uint64_t>(static_cast<double>(c.issued) / load_secs)
        << "/s)\n";
    out << "answered by value:       " << c.values << "\n";
    for (auto code = static_cast<size_t>(core::first_error_code);
         code <= static_cast<size_t>(core::last_error_code); ++code)
      if (c.by_code[code] > 0)
        out << "answered " << std::left << std::setw(15)
            << core::to_string(static_cast<error_code>(code)) << c.by_code[code]
            << "\n";
    out << "other errors:            " << c.foreign_errors << "\n";
    out << "wrong values:            " << c.wrong_values << " (must be 0)\n";
    out << "answered twice:          " << c.twice << " (must be 0)\n";
    out << "never answered:          " << never << " (must be 0)\n";
    out << "answered late:           " << c.late
        << " (> deadline + 100 ms), of which " << late_unexplained
        << " beyond the scheduling lag (must be 0)\n";
    {
      std::lock_guard<std::mutex> guard{lag->mtx};
      out << "scheduling lag (10 ms timer probe, " << lag->samples
          << " samples): max " << millis(lag->max_lag) << " ms, "
          << lag->stall_count << " stalls > 10 ms\n";
    }
    auto rss_line = [&](const char* who, const rss_watch& r, uint64_t peak,
                        std::optional<uint64_t> drained) {
      out << "RSS " << who << ": after warm-up (" << warmup.count() / 1000.0
          << " s) " << mib(r.warm) << ", max after warm-up " << mib(r.max_after)
          << ", end of load " << mib(r.end);
      if (drained)
        out << ", drained " << mib(*drained);
      out << ", peak (VmHWM) " << mib(peak) << "; bound for the end "
          << mib(r.bound()) << "\n";
    };
    rss_line("node 1", rss1, test::peak_rss_kib(), rss1_drained);
    rss_line("node 2", rss2, test::peak_rss_kib(rss2.pid), std::nullopt);
    out << "heap in use node 1: after warm-up " << mib(heap_warm)
        << ", end of load " << mib(heap_end) << "; bound for the end "
        << mib(heap_warm + heap_growth_kib) << "\n";
    std::vector<std::string> failures;
    if (exit_code != 0)
      failures.push_back("node 3 did not restart");
    if (c.twice > 0)
      failures.push_back("answered twice");
    if (never > 0 || !all_done)
      failures.push_back("never answered");
    if (late_unexplained > 0)
      failures.push_back("answered late");
    if (c.wrong_values > 0)
      failures.push_back("wrong values");
    if (c.foreign_errors > 0)
      failures.push_back("errors of another category");
#ifdef __SANITIZE_ADDRESS__
    // AddressSanitizer keeps freed memory in its quarantine (256 MiB) and
    // replaces malloc's count: growth means nothing here (LeakSanitizer
    // judges leaks at exit instead).
    constexpr bool judge_memory = false;
    out << "memory growth is not judged under AddressSanitizer\n";
#else
    constexpr bool judge_memory = true;
#endif
    if (judge_memory && rss1.end > rss1.bound())
      failures.push_back("node 1 memory grew");
    if (judge_memory && heap_end > heap_warm + heap_growth_kib)
      failures.push_back("node 1 heap grew");
    if (judge_memory && rss2.end > rss2.bound())
      failures.push_back("node 2 memory grew");
    if (c.values == 0)
      failures.push_back("no call answered by value");
    {
      std::lock_guard<std::mutex> guard{c.mtx};
      for (auto& x : c.anomalies)
        out << "  anomaly: " << x << "\n";
    }
    if (failures.empty()) {
      out << "soak passed\n";
    } else {
      out << "soak FAILED:";
      for (auto& x : failures)
        out << " " << x << ";";
      out << " (logs in " << dir << ")\n";
      exit_code = 1;
    }
    std::cout << out.str() << std::flush;
    // -- stop: callers that still wait for answers, the children, node 1
    for (auto& x : callers)
      caf::anon_send_exit(x, caf::exit_reason::kill);
    caf::anon_send_exit(probe, caf::exit_reason::user_shutdown);
    for (auto& x : members)
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    for (auto& ch : children) {
      ch.proc->signal(SIGTERM);
      ch.proc->wait(10s);
    }
    net.reset();
    static_cast<void>(sb.shutdown(2s));
  }
  if (exit_code == 0) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::cerr << "soak: done in " << std::fixed << std::setprecision(1)
            << seconds_since(started) << " s\n";
  return exit_code;
}
