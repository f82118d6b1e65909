// router_bench: what routing costs compared with plain CAF and with the
// hand-rolled "map of async functions" it replaces, measured in one run.
//
//   a  direct CAF request from the caller to a worker actor
//   b  call by route name through the registry (library call API)
//   c  call through a resolved route handle (caller -> worker)
//   d  std::unordered_map<std::string, std::function<std::future<R>(Args)>>
//      over a thread pool, callers being plain threads
//
// For every window (requests in flight, shared evenly by the callers) and
// caller count, each caller keeps its share in flight: a reply triggers the
// next request. Throughput counts replies after a warm-up; latency is the
// round trip of each counted request. Full mode repeats every measurement
// and prints the median run. See docs/benchmarks.md.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <future>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include <malloc.h>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "percentile.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/switchboard.hpp"

namespace bench {

using clock_type = std::chrono::steady_clock;
using done_atom = caf::atom_constant<caf::atom("done")>;

struct settings {
  size_t threads = 2;
  size_t workers = 4;
  bool quick = false;
  double seconds = 1.0;
  size_t repeat = 5;
  std::vector<size_t> windows{1, 100, 10000, 100000};
  std::vector<size_t> callers{1, 100};
  std::string only = "abcd";
  /// Calls held in flight at once for the memory measurement (0: skip).
  size_t memory_calls = 100000;
};

/// What one measurement produced.
struct result {
  double req_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
};

/// What each caller reports when it has drained.
struct caller_report {
  uint64_t counted = 0;
  std::vector<uint32_t> latencies_ns;
};

/// The run parameters every caller shares.
struct run_plan {
  size_t window = 1;           // this caller's requests in flight
  clock_type::time_point warm; // count replies from here ...
  clock_type::time_point end;  // ... to here, then stop sending
};

result summarize(std::vector<caller_report>& reports, double seconds) {
  result r;
  std::vector<uint32_t> all;
  uint64_t counted = 0;
  for (auto& rep : reports) {
    counted += rep.counted;
    all.insert(all.end(), rep.latencies_ns.begin(), rep.latencies_ns.end());
  }
  r.req_per_s = static_cast<double>(counted) / seconds;
  if (!all.empty()) {
    r.p50_us = percentile_us(all, 0.50);
    r.p99_us = percentile_us(all, 0.99);
  }
  return r;
}

/// State of one caller actor: its send times (a ring indexed by request
/// sequence number) and what it counted.
struct caller_core {
  run_plan plan;
  caller_report report;
  uint64_t outstanding = 0;
  bool stopping = false;

  /// Records a reply that was sent at `t0`; returns false once the caller
  /// should stop sending.
  bool on_reply(clock_type::time_point t0) {
    --outstanding;
    auto now = clock_type::now();
    if (now >= plan.warm && t0 >= plan.warm && now < plan.end) {
      ++report.counted;
      report.latencies_ns.push_back(static_cast<uint32_t>(
        std::min<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            now - t0)
                            .count(),
                          UINT32_MAX)));
    }
    if (now >= plan.end)
      stopping = true;
    return !stopping;
  }
};

} // namespace bench

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::shared_ptr<bench::caller_core>)

namespace bench {

int64_t to_int(clock_type::time_point t) {
  return t.time_since_epoch().count();
}

clock_type::time_point from_int(int64_t x) {
  return clock_type::time_point{clock_type::duration{x}};
}

/// Spawns `n` callers that each run `send_one` in a closed loop and report
/// to `collector` when drained. `send_one(self, core, t0_as_int)` sends one
/// request whose reply must call `core->on_reply(...)` and then `next()`.
template <class MakeCaller>
std::vector<caller_report> run_callers(caf::actor_system& sys, size_t n,
                                       run_plan plan, MakeCaller make) {
  caf::scoped_actor collector{sys};
  for (size_t i = 0; i < n; ++i)
    make(sys, plan, caf::actor{collector});
  std::vector<caller_report> reports;
  for (size_t i = 0; i < n; ++i)
    collector->receive(
      [&](done_atom, std::shared_ptr<caller_core> core) {
        reports.push_back(std::move(core->report));
      });
  return reports;
}

/// A closed-loop caller: `issue(self, core, again)` sends one request and
/// arranges for `again()` after its reply.
template <class Issue>
void spawn_caller(caf::actor_system& sys, const run_plan& plan,
                  const caf::actor& collector, Issue issue) {
  sys.spawn([plan, collector, issue](caf::event_based_actor* self) {
    auto core = std::make_shared<caller_core>();
    core->plan = plan;
    core->report.latencies_ns.reserve(1 << 16);
    auto next = std::make_shared<std::function<void()>>();
    // `next` captures itself; break the cycle when the caller terminates.
    self->attach_functor([next] { *next = nullptr; });
    *next = [self, core, collector, issue, next] {
      if (core->stopping) {
        if (core->outstanding == 0) {
          self->send(collector, done_atom::value, core);
          self->quit();
        }
        return;
      }
      ++core->outstanding;
      issue(self, core, next);
    };
    for (size_t i = 0; i < plan.window; ++i)
      (*next)();
    return caf::behavior{[](int64_t) {}};
  });
}

// -- a: direct CAF ------------------------------------------------------------

result bench_direct(caf::actor_system& sys, const std::vector<caf::actor>& pool,
                    size_t callers, run_plan plan, double seconds) {
  auto reports = run_callers(
    sys, callers, plan,
    [&pool](caf::actor_system& s, const run_plan& p, const caf::actor& c) {
      auto rr = std::make_shared<size_t>(0);
      spawn_caller(s, p, c,
                   [pool, rr](caf::event_based_actor* self,
                              std::shared_ptr<caller_core> core,
                              std::shared_ptr<std::function<void()>> next) {
                     auto t0 = clock_type::now();
                     auto& w = pool[(*rr)++ % pool.size()];
                     self->request(w, caf::infinite, to_int(t0))
                       .then([core, next](int64_t t) {
                         core->on_reply(from_int(t));
                         (*next)();
                       });
                   });
    });
  return summarize(reports, seconds);
}

// -- b and c: routed -----------------------------------------------------------

result bench_named(caf::actor_system& sys, switchboard::router_ref ref,
                   std::string route, size_t callers, run_plan plan,
                   double seconds) {
  auto reports = run_callers(
    sys, callers, plan,
    [ref, route](caf::actor_system& s, const run_plan& p, const caf::actor& c) {
      spawn_caller(s, p, c,
                   [ref, route](caf::event_based_actor* self,
                                std::shared_ptr<caller_core> core,
                                std::shared_ptr<std::function<void()>> next) {
                     auto t0 = clock_type::now();
                     ref.call(self, route, to_int(t0))
                       .then(
                         [core, next](int64_t t) {
                           core->on_reply(from_int(t));
                           (*next)();
                         },
                         [core, next](caf::error& err) {
                           std::cerr << "b: " << switchboard::describe(err)
                                     << '\n';
                           core->stopping = true;
                           --core->outstanding;
                           (*next)();
                         });
                   });
    });
  return summarize(reports, seconds);
}

result bench_handle(caf::actor_system& sys, switchboard::router_ref ref,
                    std::string route, size_t callers, run_plan plan,
                    double seconds) {
  auto reports = run_callers(
    sys, callers, plan,
    [ref, route](caf::actor_system& s, const run_plan& p, const caf::actor& c) {
      auto handle = std::make_shared<switchboard::route_handle>(
        *ref.resolve(route));
      spawn_caller(s, p, c,
                   [handle](caf::event_based_actor* self,
                            std::shared_ptr<caller_core> core,
                            std::shared_ptr<std::function<void()>> next) {
                     auto t0 = clock_type::now();
                     handle->call(self, to_int(t0))
                       .then(
                         [core, next](int64_t t) {
                           core->on_reply(from_int(t));
                           (*next)();
                         },
                         [core, next](caf::error& err) {
                           std::cerr << "c: " << switchboard::describe(err)
                                     << '\n';
                           core->stopping = true;
                           --core->outstanding;
                           (*next)();
                         });
                   });
    });
  return summarize(reports, seconds);
}

// -- d: the hand-rolled map of async functions ----------------------------------

/// A minimal thread pool: one locked queue, `n` threads.
class thread_pool {
public:
  explicit thread_pool(size_t n) {
    for (size_t i = 0; i < n; ++i)
      threads_.emplace_back([this] { loop(); });
  }

  ~thread_pool() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      done_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

  void post(std::function<void()> f) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      queue_.push_back(std::move(f));
    }
    cv_.notify_one();
  }

private:
  void loop() {
    for (;;) {
      std::function<void()> f;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        cv_.wait(guard, [this] { return done_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        f = std::move(queue_.front());
        queue_.pop_front();
      }
      f();
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> threads_;
  bool done_ = false;
};

using async_fn = std::function<std::future<int64_t>(int64_t)>;

result bench_hand_rolled(size_t pool_threads, size_t callers, run_plan plan,
                         double seconds) {
  thread_pool pool{pool_threads};
  std::unordered_map<std::string, async_fn> routes;
  routes.emplace("bench", [&pool](int64_t x) {
    auto p = std::make_shared<std::promise<int64_t>>();
    auto f = p->get_future();
    pool.post([p, x] { p->set_value(x); });
    return f;
  });
  std::vector<caller_report> reports(callers);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < callers; ++i)
    threads.emplace_back([&, i] {
      caller_core core;
      core.plan = plan;
      std::deque<std::future<int64_t>> inflight;
      auto send = [&] {
        inflight.push_back(routes.at("bench")(to_int(clock_type::now())));
      };
      for (size_t k = 0; k < plan.window; ++k)
        send();
      core.outstanding = plan.window;
      while (!inflight.empty()) {
        auto t = inflight.front().get();
        inflight.pop_front();
        if (core.on_reply(from_int(t))) {
          ++core.outstanding;
          send();
        }
      }
      reports[i] = std::move(core.report);
    });
  for (auto& t : threads)
    t.join();
  return summarize(reports, seconds);
}


// -- memory per outstanding call -------------------------------------------------
//
// One caller issues `n` calls at once to a handler that holds every request
// until all `n` arrived (a slow handler: a CAF response promise for a, a
// switchboard responder for b and c, a std::promise for d). The heap grown
// between "nothing in flight" and "all `n` held", divided by `n`, is what
// one outstanding call costs: the caller's pending state, the request as
// the handler holds it, and the holder's entry. The caller's callbacks
// capture one pointer each (see `holding_tally`). Then the handler answers
// all and the caller drains.

using release_atom = caf::atom_constant<caf::atom("release")>;

/// Heap bytes in use, all malloc arenas (glibc sums them).
size_t heap_in_use() {
  auto x = ::mallinfo2();
  return x.uordblks + x.hblkhd;
}

/// Counts what a holder took and lets the main thread wait for `n`.
struct hold_count {
  std::mutex mtx;
  std::condition_variable cv;
  size_t held = 0;
  size_t answered = 0;

  void add_held() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++held;
    }
    cv.notify_all();
  }

  void add_answered() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++answered;
    }
    cv.notify_all();
  }

  template <class Pred>
  bool wait(Pred pred) {
    std::unique_lock<std::mutex> guard{mtx};
    return cv.wait_for(guard, std::chrono::seconds{60},
                       [&] { return pred(*this); });
  }
};

/// Holds switchboard responders (b, c) until `release`.
struct held_responders {
  std::mutex mtx;
  std::vector<std::pair<switchboard::responder<int64_t>, int64_t>> xs;
  std::shared_ptr<hold_count> count;

  void release() {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& [r, x] : xs)
      r.post(x);
    // Free the storage now: the route's handler keeps this object past the
    // measurement, and a late free would count against the next one.
    decltype(xs){}.swap(xs);
  }
};

/// What a holding caller counts; its callbacks capture only a pointer to
/// it (8 B), so that what the bench measures is the router's per-call state
/// and not its own (a callback that captured the caller, the count and the
/// tally as shared pointers would add 40 B to each callback).
struct holding_tally {
  caf::event_based_actor* self = nullptr;
  std::shared_ptr<hold_count> count;
  size_t left = 0;

  void reply_arrived() {
    count->add_answered();
    if (--left == 0)
      self->quit();
  }
};

/// A caller that issues `n` calls with `issue(self, x, tally)` at once; the
/// calls' callbacks call `tally->reply_arrived()`.
template <class Issue>
caf::actor spawn_holding_caller(caf::actor_system& sys, size_t n,
                                std::shared_ptr<hold_count> count,
                                Issue issue) {
  return sys.spawn([n, count, issue](caf::event_based_actor* self) {
    auto tally = std::make_shared<holding_tally>();
    tally->self = self;
    tally->count = count;
    tally->left = n;
    for (size_t i = 0; i < n; ++i)
      issue(self, static_cast<int64_t>(i), tally.get());
    // The behavior keeps the tally alive as long as the caller.
    return caf::behavior{[tally](int64_t) {}};
  });
}

/// Waits until `x` is gone, so that what it frees is not counted against
/// the next measurement.
void await_exit(caf::actor_system& sys, const caf::actor& x) {
  caf::scoped_actor self{sys};
  self->wait_for(x);
}

/// Runs one measurement: `start` issues the calls, `release` answers them.
template <class Start, class Release>
double bytes_per_call(size_t n, std::shared_ptr<hold_count> count, Start start,
                      Release release) {
  auto before = heap_in_use();
  start();
  if (!count->wait([n](hold_count& c) { return c.held >= n; }))
    return -1;
  auto held = heap_in_use();
  release();
  if (!count->wait([n](hold_count& c) { return c.answered >= n; }))
    return -1;
  return (static_cast<double>(held) - static_cast<double>(before))
         / static_cast<double>(n);
}

double memory_direct(caf::actor_system& sys, size_t n) {
  auto count = std::make_shared<hold_count>();
  struct holder_state {
    std::vector<std::pair<caf::response_promise, int64_t>> xs;
  };
  auto holder = sys.spawn(
    [count](caf::stateful_actor<holder_state>* self) -> caf::behavior {
      return {
        [self, count](int64_t x) -> caf::result<int64_t> {
          auto rp = self->make_response_promise();
          self->state.xs.emplace_back(rp, x);
          count->add_held();
          return caf::delegated<int64_t>{};
        },
        [self](release_atom) {
          for (auto& [rp, x] : self->state.xs)
            rp.deliver(x);
          self->state.xs.clear();
        },
      };
    });
  caf::actor caller;
  auto result = bytes_per_call(
    n, count,
    [&] {
      caller = spawn_holding_caller(
        sys, n, count,
        [holder](caf::event_based_actor* self, int64_t x,
                 holding_tally* tally) {
          self->request(holder, caf::infinite, x).then([tally](int64_t) {
            tally->reply_arrived();
          });
        });
    },
    [&] { caf::anon_send(holder, release_atom::value); });
  if (result >= 0)
    await_exit(sys, caller);
  caf::anon_send_exit(holder, caf::exit_reason::user_shutdown);
  await_exit(sys, holder);
  return result;
}

double memory_routed(caf::actor_system& sys, switchboard::router& sb,
                     size_t n, bool by_handle) {
  auto count = std::make_shared<hold_count>();
  auto held = std::make_shared<held_responders>();
  held->count = count;
  switchboard::core::route_options opts;
  opts.workers = 1;
  opts.max_in_flight = 10'000'000;
  opts.timeout = std::chrono::seconds{60};
  auto name = std::string{by_handle ? "memory_c" : "memory_b"};
  auto h = switchboard::make_handler(
    [held](switchboard::responder<int64_t> r, int64_t x) {
      {
        std::lock_guard<std::mutex> guard{held->mtx};
        held->xs.emplace_back(std::move(r), x);
      }
      held->count->add_held();
    });
  if (auto err = sb.add(name, std::move(h), opts)) {
    std::cerr << "cannot add " << name << ": " << switchboard::describe(err)
              << '\n';
    return -1;
  }
  auto ref = sb.ref();
  auto handle = std::make_shared<switchboard::route_handle>(
    *ref.resolve(name));
  caf::actor caller;
  auto result = bytes_per_call(
    n, count,
    [&] {
      caller = spawn_holding_caller(
        sys, n, count,
        [ref, name, handle, by_handle](caf::event_based_actor* self,
                                       int64_t x, holding_tally* tally) {
          auto on_value = [tally](int64_t) { tally->reply_arrived(); };
          auto on_error = [tally](caf::error& err) {
            std::cerr << "memory: " << switchboard::describe(err) << '\n';
            tally->reply_arrived();
          };
          if (by_handle)
            handle->call(self, x).then(on_value, on_error);
          else
            ref.call(self, name, x).then(on_value, on_error);
        });
    },
    [&] { held->release(); });
  if (result >= 0)
    await_exit(sys, caller);
  // The route's workers free their tables when they stop: wait for that
  // too, for the same reason.
  std::vector<caf::actor> workers;
  const switchboard::detail::pool* p = nullptr;
  if (handle->current(p) != nullptr)
    for (auto& w : p->workers)
      workers.push_back(w.handle);
  static_cast<void>(sb.remove(name));
  for (auto& w : workers)
    await_exit(sys, w);
  return result;
}

double memory_hand_rolled(size_t n) {
  auto count = std::make_shared<hold_count>();
  std::mutex mtx;
  std::vector<std::pair<std::shared_ptr<std::promise<int64_t>>, int64_t>> held;
  std::unordered_map<std::string, async_fn> routes;
  routes.emplace("hold", [&](int64_t x) {
    auto p = std::make_shared<std::promise<int64_t>>();
    auto f = p->get_future();
    {
      std::lock_guard<std::mutex> guard{mtx};
      held.emplace_back(std::move(p), x);
    }
    count->add_held();
    return f;
  });
  std::deque<std::future<int64_t>> inflight;
  std::thread caller;
  auto result = bytes_per_call(
    n, count,
    [&] {
      caller = std::thread{[&] {
        for (size_t i = 0; i < n; ++i)
          inflight.push_back(routes.at("hold")(static_cast<int64_t>(i)));
        // The count reaches n inside the last call; the futures wait here.
      }};
    },
    [&] {
      caller.join();
      {
        std::lock_guard<std::mutex> guard{mtx};
        for (auto& [p, x] : held)
          p->set_value(x);
      }
      for (auto& f : inflight) {
        f.get();
        count->add_answered();
      }
    });
  return result;
}

// -- driver ---------------------------------------------------------------------

run_plan make_plan(size_t window, size_t callers, double seconds) {
  run_plan plan;
  plan.window = std::max<size_t>(1, window / callers);
  auto warmup = std::chrono::duration<double>(seconds * 0.25);
  auto measured = std::chrono::duration<double>(seconds);
  auto now = clock_type::now();
  plan.warm = now + std::chrono::duration_cast<clock_type::duration>(warmup);
  plan.end = plan.warm
             + std::chrono::duration_cast<clock_type::duration>(measured);
  return plan;
}

void print(char bench, size_t callers, size_t window, const result& r) {
  std::cout << "bench=" << bench << " callers=" << callers
            << " window=" << window << " req_per_s=" << std::fixed
            << std::setprecision(0) << r.req_per_s
            << " p50_us=" << std::setprecision(1) << r.p50_us
            << " p99_us=" << r.p99_us << std::endl;
}

} // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  settings cfg;
  CLI::App app{"router_bench: routed vs direct CAF vs a map of async "
               "functions, in one run"};
  app.add_option("--threads", cfg.threads, "CAF scheduler threads (and the "
                                           "hand-rolled pool's threads)")
    ->check(CLI::PositiveNumber);
  app.add_option("--workers", cfg.workers, "workers in the route's pool")
    ->check(CLI::PositiveNumber);
  app.add_option("--seconds", cfg.seconds, "measured time per run");
  app.add_option("--repeat", cfg.repeat, "runs per measurement (median)");
  app.add_flag("--quick", cfg.quick, "short runs, one each (under 60 s)");
  app.add_option("--memory", cfg.memory_calls,
                 "calls held in flight to measure bytes per outstanding "
                 "call (0: skip)");
  app.add_option("--windows", cfg.windows, "requests in flight, all callers");
  app.add_option("--callers", cfg.callers, "caller counts");
  app.add_option("--only", cfg.only, "contenders to run, e.g. \"ac\" (for "
                                     "profiling); B and C are b and c on a "
                                     "route without the latency histogram "
                                     "(what metrics cost: --only bcBC)");
  CLI11_PARSE(app, argc, argv);
  if (cfg.quick) {
    cfg.seconds = 0.25;
    cfg.repeat = 1;
  }
  caf::actor_system_config sys_cfg;
  sys_cfg.set("scheduler.max-threads", cfg.threads);
  switchboard::register_error_category(sys_cfg);
  caf::actor_system sys{sys_cfg};
  std::cout << "# router_bench threads=" << cfg.threads
            << " workers=" << cfg.workers << " seconds=" << cfg.seconds
            << " repeat=" << cfg.repeat
            << " hardware_threads=" << std::thread::hardware_concurrency()
            << std::endl;
  // The same worker behavior serves a (as plain actors) and b/c (as a route).
  std::vector<caf::actor> direct_pool;
  for (size_t i = 0; i < cfg.workers; ++i)
    direct_pool.push_back(sys.spawn([]() -> caf::behavior {
      return {[](int64_t x) { return x; }};
    }));
  switchboard::router sb{sys};
  switchboard::core::route_options opts;
  opts.workers = cfg.workers;
  opts.max_in_flight = 10'000'000;
  opts.timeout = std::chrono::seconds{60};
  if (auto err = sb.add("bench", [](int64_t x) { return x; }, opts)) {
    std::cerr << "cannot add the bench route: " << switchboard::describe(err)
              << '\n';
    return 1;
  }
  // B and C: the same route without timing each reply (metrics "off": only
  // the outcome counters, which every route keeps).
  auto untimed = opts;
  untimed.timed = false;
  if (auto err = sb.add("bench_untimed", [](int64_t x) { return x; },
                        untimed)) {
    std::cerr << "cannot add the untimed route: "
              << switchboard::describe(err) << '\n';
    return 1;
  }
  std::map<std::tuple<char, size_t, size_t>, result> medians;
  for (auto callers : cfg.callers)
    for (auto window : cfg.windows) {
      std::map<char, std::vector<result>> runs;
      for (size_t rep = 0; rep < cfg.repeat; ++rep) {
        // Interleave the contenders so that drift hits them alike.
        if (cfg.only.find('a') != std::string::npos)
          runs['a'].push_back(bench_direct(
          sys, direct_pool, callers, make_plan(window, callers, cfg.seconds),
          cfg.seconds));
        for (auto [key, route] : {std::pair{'b', "bench"},
                                  std::pair{'B', "bench_untimed"}})
          if (cfg.only.find(key) != std::string::npos)
            runs[key].push_back(bench_named(
              sys, sb.ref(), route, callers,
              make_plan(window, callers, cfg.seconds), cfg.seconds));
        for (auto [key, route] : {std::pair{'c', "bench"},
                                  std::pair{'C', "bench_untimed"}})
          if (cfg.only.find(key) != std::string::npos)
            runs[key].push_back(bench_handle(
              sys, sb.ref(), route, callers,
              make_plan(window, callers, cfg.seconds), cfg.seconds));
        if (cfg.only.find('d') != std::string::npos)
          runs['d'].push_back(bench_hand_rolled(
          cfg.threads, callers, make_plan(window, callers, cfg.seconds),
          cfg.seconds));
      }
      for (auto& [bench, xs] : runs) {
        std::sort(xs.begin(), xs.end(), [](const result& x, const result& y) {
          return x.req_per_s < y.req_per_s;
        });
        auto& median = xs[xs.size() / 2];
        medians[{bench, callers, window}] = median;
        print(bench, callers, window, median);
      }
    }
  std::cout << "# ratios of median throughput" << std::endl;
  for (auto callers : cfg.callers)
    for (auto window : cfg.windows) {
      auto a = medians[{'a', callers, window}].req_per_s;
      auto ratio = [&](char x, char y) {
        if (cfg.only.find(x) == std::string::npos
            || cfg.only.find(y) == std::string::npos)
          return;
        auto den = medians[{y, callers, window}].req_per_s;
        auto num = medians[{x, callers, window}].req_per_s;
        std::cout << "ratio " << x << "/" << y << " callers=" << callers
                  << " window=" << window << " value=" << std::setprecision(2)
                  << (den > 0 ? num / den : 0.0) << std::endl;
      };
      static_cast<void>(a);
      ratio('b', 'a');
      ratio('c', 'a');
      ratio('b', 'd');
      ratio('c', 'd');
      ratio('b', 'B');
      ratio('c', 'C');
    }
  if (cfg.memory_calls > 0) {
    auto n = cfg.memory_calls;
    std::cout << "# heap per outstanding call, " << n
              << " calls held by a slow handler" << std::endl;
    auto show = [](char bench, size_t calls, double bytes) {
      std::cout << "memory bench=" << bench << " calls=" << calls
                << " bytes_per_call=" << std::fixed << std::setprecision(0)
                << bytes << std::endl;
    };
    if (cfg.only.find('a') != std::string::npos)
      // CAF 0.17 keeps a caller's pending responses in a flat map (linear
      // search, erase by moving the tail): a has 10 000 at most, or the
      // drain alone would take minutes.
      show('a', std::min<size_t>(n, 10000),
           memory_direct(sys, std::min<size_t>(n, 10000)));
    if (cfg.only.find('b') != std::string::npos)
      show('b', n, memory_routed(sys, sb, n, false));
    if (cfg.only.find('c') != std::string::npos)
      show('c', n, memory_routed(sys, sb, n, true));
    if (cfg.only.find('d') != std::string::npos)
      show('d', n, memory_hand_rolled(n));
  }
  for (auto& w : direct_pool)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
  return 0;
}
