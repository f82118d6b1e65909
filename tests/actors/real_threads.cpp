// Real threads, CAF's default scheduler: removal, replacement, shutdown and
// destroying the router while many callers on several threads keep calling.
// The deterministic versions (removal.cpp, registry.cpp, owed_replies.cpp)
// pin the order of events; these make the same claims with every order the
// machine picks.
// Tagged [threads]: scripts/tsan.sh runs them under ThreadSanitizer.
//
// Callers: each of `caller_threads` std::threads spawns one event-based
// caller (library calls, a window of them, by name or through its own
// handle) and then makes blocking plain CAF requests `(sb_call, ...)` from
// its own scoped_actor, until the test says stop. Every wait is bounded;
// nothing sleeps.

#include <catch2/catch.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/blocking_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/switchboard.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using steady = std::chrono::steady_clock;

constexpr int caller_threads = 4;

/// Calls a caller actor keeps in flight at once.
constexpr int window = 8;

/// The routes' own deadline: far above every bound the tests check, so a
/// call that waits for it cannot pass for one answered at once.
constexpr auto route_timeout = std::chrono::seconds{30};

/// How long a test waits for any one thing before it fails.
constexpr auto patience = std::chrono::seconds{20};

/// What "at once" means here, generously (ThreadSanitizer, 2 shared cores).
constexpr auto prompt = std::chrono::seconds{5};

/// Handlers answer a tag that says which of them ran.
constexpr int32_t old_tag = 1;
constexpr int32_t new_tag = 2;

/// Arguments below zero are held by the handler until the test releases
/// them: calls certainly in flight when the test acts.
constexpr int32_t held_arg = -1;

/// What all callers saw, counted across threads.
struct tally {
  std::mutex mtx;
  std::condition_variable changed;
  int callers_done = 0;
  /// Of `callers_done`, the library callers.
  int library_done = 0;
  /// Library calls issued and not answered yet.
  std::atomic<int64_t> library_open{0};
  /// Library callers that started after the test said stop (their actor
  /// first ran late: spawned from a thread, it runs when CAF schedules it).
  std::atomic<int> library_late{0};

  std::atomic<int64_t> issued{0};
  std::atomic<int64_t> answered{0};
  std::atomic<int64_t> duplicates{0};
  /// Replies by tag: [old_tag], [new_tag]; [0] counts any other value.
  std::array<std::atomic<int64_t>, 3> values{};
  /// Switchboard errors by code.
  std::array<std::atomic<int64_t>, 16> codes{};
  /// CAF's `request_receiver_down` (a plain request to a stopped registry).
  std::atomic<int64_t> receiver_down{0};
  /// Any other error.
  std::atomic<int64_t> foreign{0};
  /// Old-tag replies to calls issued after the replacement was acknowledged.
  std::atomic<int64_t> stale{0};
  std::atomic<int64_t> max_latency_ns{0};

  /// Set by the test: callers issue no more calls.
  std::atomic<bool> stop{false};
  /// Set by the test once `replace` returned.
  std::atomic<bool> replaced{false};

  int64_t code(error_code x) const {
    return codes[static_cast<size_t>(x)].load();
  }

  /// Counts one answer to a call issued at `since` (while `replaced` read
  /// `after_replace`); returns the error's code, if it was a switchboard
  /// error.
  std::optional<error_code> record(steady::time_point since,
                                   bool after_replace,
                                   std::optional<int32_t> value,
                                   const caf::error* err) {
    std::optional<error_code> result;
    if (value) {
      auto i = *value == old_tag || *value == new_tag ? *value : 0;
      ++values[static_cast<size_t>(i)];
      if (*value == old_tag && after_replace)
        ++stale;
    } else if (auto c = code_of(*err)) {
      ++codes[static_cast<size_t>(*c)];
      result = c;
    } else if (*err == caf::sec::request_receiver_down) {
      ++receiver_down;
    } else {
      ++foreign;
    }
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                steady::now() - since)
                .count();
    auto seen = max_latency_ns.load();
    while (ns > seen && !max_latency_ns.compare_exchange_weak(seen, ns)) {
      // retry
    }
    ++answered;
    notify();
    return result;
  }

  void caller_done(bool library = false) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++callers_done;
      if (library)
        ++library_done;
    }
    changed.notify_all();
  }

  /// Wakes `wait_for`; the lock orders this after a waiter's check of
  /// its predicate, so no wake-up gets lost.
  void notify() {
    { std::lock_guard<std::mutex> guard{mtx}; }
    changed.notify_all();
  }

  /// Waits at most `timeout` for `pred`, re-checked on every answer.
  template <class Pred>
  bool wait_for(Pred pred, caf::timespan timeout = patience) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, timeout, pred);
  }

  bool wait_callers(int n) {
    return wait_for([&] { return callers_done >= n; });
  }
};

using tally_ptr = std::shared_ptr<tally>;

/// Whether a caller stops calling after this answer.
bool ends_calling(const std::optional<error_code>& code) {
  return code == error_code::shutting_down;
}

/// A library caller: keeps `window` calls in flight, by name or through its
/// own handle, until `t->stop` (or a `shutting_down`, after which a client
/// would stop too); then reports done.
caf::behavior library_caller(caf::event_based_actor* self, router_ref ref,
                             std::string route,
                             std::optional<route_handle> handle, tally_ptr t) {
  struct state {
    std::vector<uint8_t> seen;
    int outstanding = 0;
    bool ended = false;
    bool reported = false;
  };
  auto st = std::make_shared<state>();
  auto issue = std::make_shared<std::function<void()>>();
  self->attach_functor([issue] { *issue = nullptr; });
  *issue = [=]() mutable {
    if (t->stop || st->ended)
      return;
    auto id = st->seen.size();
    st->seen.push_back(0);
    ++st->outstanding;
    ++t->issued;
    ++t->library_open;
    auto since = steady::now();
    auto after_replace = t->replaced.load();
    auto on_answer = [=](std::optional<int32_t> value, const caf::error* err) {
      if (st->seen[id]++ != 0) {
        ++t->duplicates;
        return;
      }
      --st->outstanding;
      --t->library_open;
      if (ends_calling(t->record(since, after_replace, value, err)))
        st->ended = true;
      (*issue)();
      if (st->outstanding == 0 && (t->stop || st->ended) && !st->reported) {
        st->reported = true;
        t->caller_done(true);
        self->quit();
      }
    };
    auto on_value = [=](int32_t x) { on_answer(x, nullptr); };
    auto on_error = [=](caf::error& err) { on_answer(std::nullopt, &err); };
    if (handle)
      handle->call(self, int32_t{0}).then(on_value, on_error);
    else
      ref.call(self, route, int32_t{0}).then(on_value, on_error);
  };
  for (int i = 0; i < window; ++i)
    (*issue)();
  if (st->outstanding == 0) {
    // Started after the test said stop: nothing to wait for.
    ++t->library_late;
    st->reported = true;
    t->caller_done(true);
    self->quit();
  }
  // Replies reach the library through the default handler; the behavior
  // only keeps the actor alive until it quits.
  return {[](int32_t) {}};
}

/// Callers on `caller_threads` std::threads; see the file comment.
class callers {
public:
  callers(caf::actor_system& sys, router_ref ref, std::string route,
          tally_ptr t)
    : t_(std::move(t)) {
    for (int i = 0; i < caller_threads; ++i) {
      // Every other caller calls through a handle of its own.
      std::optional<route_handle> handle;
      if (i % 2 == 1) {
        auto h = ref.resolve(route);
        REQUIRE(h);
        handle = *h;
      }
      threads_.emplace_back([this, &sys, ref, route, handle] {
        sys.spawn(library_caller, ref, route, handle, t_);
        blocking_calls(sys, ref.registry(), route);
      });
    }
  }

  /// Callers that make blocking plain requests and those that make library
  /// calls, counted separately in `tally::callers_done`.
  static constexpr int count = 2 * caller_threads;

  ~callers() {
    t_->stop = true;
    for (auto& x : threads_)
      x.join();
  }

private:
  void blocking_calls(caf::actor_system& sys, const caf::actor& registry,
                      const std::string& route) {
    caf::scoped_actor self{sys};
    bool ended = false;
    while (!t_->stop && !ended) {
      ++t_->issued;
      auto since = steady::now();
      auto after_replace = t_->replaced.load();
      // No CAF request timeout: each one is an event for CAF's clock
      // thread, and four threads setting and cancelling them back to back
      // fill its 64-slot ring buffer; producers then block on it, and with
      // glibc 2.36's condition variable the clock thread's broadcast to
      // them hung for good (seen here: caf.clock in
      // __condvar_quiesce_and_switch_g1 inside ringbuffer::get_all,
      // callers in thread_safe_actor_clock::push). The receive below waits
      // on the actor's own condition variable instead, with the same bound.
      auto h = self->request(registry, caf::infinite, call_atom::value, route,
                             int32_t{0});
      caf::blocking_actor::accept_one_cond rc;
      self->varargs_receive(
        rc, h.id(),
        [&](int32_t x) { t_->record(since, after_replace, x, nullptr); },
        [&](caf::error& err) {
          // A plain request that reaches a registry already stopped is
          // answered by CAF (request_receiver_down): the router is gone.
          auto gone = err == caf::sec::request_receiver_down;
          ended = ends_calling(
                    t_->record(since, after_replace, std::nullopt, &err))
                  || gone;
        },
        caf::after(route_timeout) >> [&] {
          caf::error lost = caf::sec::request_timeout;
          t_->record(since, after_replace, std::nullopt, &lost);
          ended = true;
        });
    }
    t_->caller_done();
  }

  tally_ptr t_;
  std::vector<std::thread> threads_;
};

/// Requests the handler holds until `release`.
struct held_calls {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<responder<int32_t>> held;

  void add(responder<int32_t> r) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      held.push_back(std::move(r));
    }
    changed.notify_all();
  }

  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, patience, [&] { return held.size() >= n; });
  }

  /// Answers every held request with `tag`, from this thread.
  void release(int32_t tag) {
    std::lock_guard<std::mutex> guard{mtx};
    for (auto& r : held)
      r.post(tag);
    held.clear();
  }
};

/// A handler that answers `tag` at once, or holds calls with `held_arg`.
handler tagged(int32_t tag, std::shared_ptr<held_calls> hold) {
  return make_handler([tag, hold](responder<int32_t> r, int32_t x) {
    if (x == held_arg)
      hold->add(std::move(r));
    else
      r.deliver(tag);
  });
}

core::route_options pool_options() {
  core::route_options opts;
  opts.workers = 4;
  opts.max_in_flight = 100000;
  opts.timeout = route_timeout;
  return opts;
}

/// The outcomes of the held calls, written by their caller actor.
struct held_outcomes {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<caf::expected<int32_t>> results;
  std::vector<steady::time_point> ended;

  void add(caf::expected<int32_t> x) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      results.push_back(std::move(x));
      ended.push_back(steady::now());
    }
    changed.notify_all();
  }

  bool wait_for(size_t n) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, patience,
                            [&] { return results.size() >= n; });
  }
};

constexpr int held_count = 6;

/// Answers the callers must have seen before the test acts, and after it:
/// the action lands in the middle of the load, not before or after it.
constexpr int64_t load_before = 2000;
constexpr int64_t load_after = 1000;

/// Replacements after the first in the replacement test.
constexpr int64_t replacements = 10;

/// Issues `held_count` library calls that the handler holds.
std::shared_ptr<held_outcomes> issue_held(caf::actor_system& sys,
                                          router_ref ref,
                                          const std::string& route) {
  auto out = std::make_shared<held_outcomes>();
  sys.spawn([=](caf::event_based_actor* self) -> caf::behavior {
    auto left = std::make_shared<int>(held_count);
    for (int i = 0; i < held_count; ++i)
      ref.call(self, route, held_arg)
        .then(
          [=](int32_t x) {
            out->add(x);
            if (--*left == 0)
              self->quit();
          },
          [=](caf::error& err) {
            out->add(std::move(err));
            if (--*left == 0)
              self->quit();
          });
    return {[](int32_t) {}};
  });
  return out;
}

caf::actor_system_config& configure(caf::actor_system_config& cfg) {
  cfg.set("scheduler.max-threads", 4);
  register_error_category(cfg);
  return cfg;
}

/// Renders the tally for failure messages.
std::string show(tally& t) {
  int done = 0;
  int library_done = 0;
  {
    std::lock_guard<std::mutex> guard{t.mtx};
    done = t.callers_done;
    library_done = t.library_done;
  }
  std::string result = "callers done " + std::to_string(done) + " (library "
                       + std::to_string(library_done) + "), issued "
                       + std::to_string(t.issued.load()) + ", library open "
                       + std::to_string(t.library_open.load()) + ", late "
                       + std::to_string(t.library_late.load())
                       + ", duplicates " + std::to_string(t.duplicates.load())
                       + ", answered " + std::to_string(t.answered.load())
                       + ", old " + std::to_string(t.values[1].load())
                       + ", new " + std::to_string(t.values[2].load())
                       + ", other values " + std::to_string(t.values[0].load())
                       + ", receiver_down "
                       + std::to_string(t.receiver_down.load()) + ", foreign "
                       + std::to_string(t.foreign.load());
  for (auto c = static_cast<int>(core::first_error_code);
       c <= static_cast<int>(core::last_error_code); ++c)
    if (auto n = t.codes[static_cast<size_t>(c)].load(); n > 0)
      result += ", " + std::string{to_string(static_cast<error_code>(c))}
                + " " + std::to_string(n);
  return result;
}

} // namespace

TEST_CASE("removing a route under concurrent callers answers every call once "
          "with its value or no_such_route",
          "[threads]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto t = std::make_shared<tally>();
  auto hold = std::make_shared<held_calls>();
  router sb{sys};
  REQUIRE(!sb.add("r", tagged(old_tag, hold), pool_options()));
  auto held = issue_held(sys, sb.ref(), "r");
  REQUIRE(hold->wait_for(held_count));
  steady::time_point removed_at;
  {
    callers cs{sys, sb.ref(), "r", t};
    REQUIRE(t->wait_for([&] { return t->values[old_tag] >= load_before; }));
    REQUIRE(!sb.remove("r"));
    removed_at = steady::now();
    // The route is gone from the callers' view; its held requests are not.
    REQUIRE(t->wait_for(
      [&] { return t->code(error_code::no_such_route) >= load_after; }));
    hold->release(old_tag);
    REQUIRE(held->wait_for(held_count));
    t->stop = true;
    auto all_done = t->wait_callers(callers::count);
    INFO(show(*t));
    REQUIRE(all_done);
  }
  INFO(show(*t));
  CHECK(t->answered == t->issued);
  CHECK(t->duplicates == 0);
  CHECK(t->answered
        == t->values[old_tag] + t->code(error_code::no_such_route));
  CHECK(t->max_latency_ns < std::chrono::nanoseconds{prompt}.count());
  // Requests admitted before the removal finished on the old handler.
  for (auto& x : held->results) {
    REQUIRE(x);
    CHECK(*x == old_tag);
  }
  for (auto& x : held->ended)
    CHECK(x - removed_at < patience);
  // And the route drained: nothing of it is listed.
  auto routes = sb.list();
  REQUIRE(routes);
  CHECK(routes->empty());
}

TEST_CASE("replacing a route under concurrent callers loses no call and "
          "calls after it see only the new handler",
          "[threads]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto t = std::make_shared<tally>();
  auto hold = std::make_shared<held_calls>();
  router sb{sys};
  REQUIRE(!sb.add("r", tagged(old_tag, hold), pool_options()));
  auto held = issue_held(sys, sb.ref(), "r");
  REQUIRE(hold->wait_for(held_count));
  {
    callers cs{sys, sb.ref(), "r", t};
    REQUIRE(t->wait_for([&] { return t->values[old_tag] >= load_before; }));
    REQUIRE(!sb.replace("r", tagged(new_tag, hold), pool_options()));
    t->replaced = true;
    // And again, new by new, for more chances to catch a call between
    // the two (a handle that read the old route just before it closed).
    for (int64_t i = 1; i <= replacements; ++i) {
      REQUIRE(t->wait_for(
        [&] { return t->values[new_tag] >= i * load_after; }));
      REQUIRE(!sb.replace("r", tagged(new_tag, hold), pool_options()));
    }
    REQUIRE(t->wait_for([&] {
      return t->values[new_tag] >= (replacements + 1) * load_after;
    }));
    // The old route's requests finish there, after the replacement.
    hold->release(old_tag);
    REQUIRE(held->wait_for(held_count));
    t->stop = true;
    auto all_done = t->wait_callers(callers::count);
    INFO(show(*t));
    REQUIRE(all_done);
  }
  INFO(show(*t));
  CHECK(t->answered == t->issued);
  CHECK(t->duplicates == 0);
  CHECK(t->answered == t->values[old_tag] + t->values[new_tag]);
  CHECK(t->stale == 0);
  CHECK(t->max_latency_ns < std::chrono::nanoseconds{prompt}.count());
  for (auto& x : held->results) {
    REQUIRE(x);
    CHECK(*x == old_tag);
  }
  auto routes = sb.list();
  REQUIRE(routes);
  REQUIRE(routes->size() == 1);
  CHECK((*routes)[0].in_flight == 0);
}

TEST_CASE("a graceful shutdown under concurrent callers answers each call with "
          "its value or shutting_down at once",
          "[threads]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto t = std::make_shared<tally>();
  auto hold = std::make_shared<held_calls>();
  router sb{sys};
  REQUIRE(!sb.add("r", tagged(old_tag, hold), pool_options()));
  auto held = issue_held(sys, sb.ref(), "r");
  REQUIRE(hold->wait_for(held_count));
  {
    callers cs{sys, sb.ref(), "r", t};
    REQUIRE(t->wait_for([&] { return t->values[old_tag] >= load_before; }));
    std::optional<caf::error> stopped;
    std::mutex mtx;
    std::condition_variable changed;
    auto ref = sb.ref();
    std::thread stopper{[&] {
      auto err = ref.shutdown(patience);
      {
        std::lock_guard<std::mutex> guard{mtx};
        stopped = std::move(err);
      }
      changed.notify_all();
    }};
    // Each caller stops once refused; the held requests keep the drain
    // open until every caller did.
    auto all_refused = t->wait_callers(callers::count);
    auto shutdown_answered = [&] {
      std::lock_guard<std::mutex> guard{mtx};
      return stopped.has_value();
    };
    auto early = shutdown_answered();
    hold->release(old_tag);
    auto drained = held->wait_for(held_count);
    {
      std::unique_lock<std::mutex> guard{mtx};
      changed.wait_for(guard, patience, [&] { return stopped.has_value(); });
    }
    auto finished = shutdown_answered();
    t->stop = true; // Ends the callers if the test failed before.
    stopper.join();
    INFO(show(*t));
    REQUIRE(all_refused);
    CHECK(!early);
    REQUIRE(drained);
    REQUIRE(finished);
    CHECK(*stopped == caf::error{});
  }
  INFO(show(*t));
  CHECK(t->answered == t->issued);
  CHECK(t->duplicates == 0);
  CHECK(t->answered
        == t->values[old_tag] + t->code(error_code::shutting_down));
  // At least one per caller (a library caller's whole window may get it).
  CHECK(t->code(error_code::shutting_down) >= callers::count);
  CHECK(t->max_latency_ns < std::chrono::nanoseconds{prompt}.count());
  for (auto& x : held->results) {
    REQUIRE(x);
    CHECK(*x == old_tag);
  }
}

TEST_CASE("destroying a router under concurrent callers answers calls in "
          "flight with shutting_down at once",
          "[threads]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  auto t = std::make_shared<tally>();
  auto hold = std::make_shared<held_calls>();
  std::optional<router> sb{std::in_place, sys};
  REQUIRE(!sb->add("r", tagged(old_tag, hold), pool_options()));
  auto ref = sb->ref();
  auto held = issue_held(sys, ref, "r");
  REQUIRE(hold->wait_for(held_count));
  steady::time_point destroyed_at;
  {
    callers cs{sys, ref, "r", t};
    REQUIRE(t->wait_for([&] { return t->values[old_tag] >= load_before; }));
    sb.reset();
    destroyed_at = steady::now();
    // Every caller is refused and stops; so do the held calls, although
    // their responders are never used.
    auto all_done = t->wait_callers(callers::count);
    INFO(show(*t));
    REQUIRE(all_done);
    REQUIRE(held->wait_for(held_count));
  }
  hold->release(old_tag); // Dropped: the workers are gone.
  INFO(show(*t));
  CHECK(t->answered == t->issued);
  CHECK(t->duplicates == 0);
  // A blocking caller whose previous call got a value just before the
  // registry stopped sends its next plain request to a stopped actor:
  // CAF itself answers that one (request_receiver_down), at once.
  CHECK(t->answered
        == t->values[old_tag] + t->code(error_code::shutting_down)
             + t->receiver_down);
  CHECK(t->code(error_code::shutting_down) + t->receiver_down
        >= callers::count);
  CHECK(t->max_latency_ns < std::chrono::nanoseconds{prompt}.count());
  for (size_t i = 0; i < held->results.size(); ++i) {
    INFO(i);
    REQUIRE(!held->results[i]);
    CHECK(code_of(held->results[i].error()) == error_code::shutting_down);
    CHECK(held->ended[i] - destroyed_at < prompt);
  }
}

TEST_CASE("blocking callers on many threads running a caller_runs route's "
          "workers themselves get each value once",
          "[threads]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{configure(cfg)};
  router sb{sys};
  core::route_options opts;
  opts.workers = 2;
  opts.caller_runs = true;
  opts.timeout = 30s;
  REQUIRE(!sb.add(
    "sq", [](int32_t x) { return x * x; }, opts));
  // More threads than workers: a caller finds its worker idle (and runs
  // it), busy on another caller's thread, or on a scheduler thread.
  constexpr int32_t threads = 8;
  constexpr int32_t calls = 2000;
  std::atomic<int32_t> right{0};
  std::atomic<int32_t> wrong{0};
  std::vector<std::thread> ts;
  for (int32_t i = 0; i < threads; ++i)
    ts.emplace_back([&] {
      caf::scoped_actor self{sys};
      for (int32_t x = 0; x < calls; ++x)
        sb.ref().call(self, "sq", x).receive(
          [&](int32_t y) { ++(y == x * x ? right : wrong); },
          [&](caf::error&) { ++wrong; });
    });
  for (auto& t : ts)
    t.join();
  CHECK(wrong == 0);
  CHECK(right == threads * calls);
  auto routes = sb.list();
  REQUIRE(routes);
  REQUIRE(routes->size() == 1);
  CHECK(routes->front().completed == uint64_t{threads * calls});
}
