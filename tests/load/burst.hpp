#pragma once

// A burst of calls from several caller actors, each call timed on its own:
// for the overload tests of the router and of the mesh. Every wait is
// bounded; nothing sleeps.

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>

#include <catch2/catch.hpp>

#include "load/rss.hpp"
#include "switchboard/switchboard.hpp"

namespace switchboard::test {

using steady = std::chrono::steady_clock;

/// How much slower the sanitizer builds run this code: CI's ASan/UBSan
/// stage builds at -O0 (a mesh refusal's median went from 2 us to 50 us,
/// its p99 to 2 ms with other tests running). Latency bounds are widened
/// by this factor there; the plain build (CI's first stage) holds them to
/// the target. The sanitizer stages check memory and undefined behaviour,
/// not timing.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int sanitizer_slowdown = 20;
#else
constexpr int sanitizer_slowdown = 1;
#endif

/// A route handler that holds every request while the gate is closed and
/// answers at once while it is open (the value is the argument).
struct gate {
  std::mutex mtx;
  std::condition_variable changed;
  bool open = true;
  std::vector<std::pair<responder<int32_t>, int32_t>> held;

  /// The handler: an asynchronous one, so a held request costs no thread.
  static handler make(std::shared_ptr<gate> g) {
    return make_handler([g](responder<int32_t> r, int32_t x) {
      {
        std::lock_guard<std::mutex> guard{g->mtx};
        if (!g->open) {
          g->held.emplace_back(std::move(r), x);
          g->changed.notify_all();
          return;
        }
      }
      r.deliver(x);
    });
  }

  void close() {
    std::lock_guard<std::mutex> guard{mtx};
    open = false;
  }

  /// Opens the gate and answers every held request (from this thread: the
  /// workers deliver in their own context).
  size_t release() {
    std::vector<std::pair<responder<int32_t>, int32_t>> xs;
    {
      std::lock_guard<std::mutex> guard{mtx};
      open = true;
      xs.swap(held);
    }
    for (auto& [r, x] : xs)
      r.post(x);
    return xs.size();
  }

  size_t held_count() {
    std::lock_guard<std::mutex> guard{mtx};
    return held.size();
  }
};

/// One call of a burst: when it was issued and how it ended.
struct call_record {
  steady::time_point issued;
  steady::time_point answered;
  /// How often a continuation ran (must end at exactly 1).
  int answers = 0;
  bool value = false;
  bool right_value = false;
  std::optional<error_code> code;

  std::chrono::microseconds latency() const {
    return std::chrono::duration_cast<std::chrono::microseconds>(answered
                                                                 - issued);
  }
};

/// Starts a call to the route under test: `(self, argument)` -> request.
using issue_fn = std::function<call_request(caf::event_based_actor*, int32_t)>;

/// The calls of one burst, shared by its caller actors and the test.
class burst : public std::enable_shared_from_this<burst> {
public:
  explicit burst(size_t n) : calls_(n) {
    // nop
  }

  /// Spawns `callers` actors that issue the burst's calls between them,
  /// `chunk` calls per message each (so the answers to one chunk are read
  /// before the next chunk goes out, as they would be with many callers).
  /// `make_issue` returns each caller's own issuing function (handles are
  /// not shared between actors).
  void start(caf::actor_system& sys, size_t callers,
             const std::function<issue_fn()>& make_issue, caf::timespan timeout,
             size_t chunk = 5) {
    auto per = (calls_.size() + callers - 1) / callers;
    started_ = steady::now();
    for (size_t c = 0; c < callers; ++c) {
      auto first = std::min(c * per, calls_.size());
      auto last = std::min(first + per, calls_.size());
      if (first < last)
        spawn_caller(sys, first, last, make_issue(), timeout, chunk);
    }
  }

  /// Waits at most `timeout` until `pred(answered, overloaded)` holds.
  template <class Pred>
  bool wait_until(Pred pred, caf::timespan timeout) {
    std::unique_lock<std::mutex> guard{mtx_};
    return changed_.wait_for(guard, timeout,
                             [&] { return pred(answered_, overloaded_); });
  }

  bool wait_all(caf::timespan timeout) {
    return wait_until([this](size_t a, size_t) { return a == calls_.size(); },
                      timeout);
  }

  /// A copy of the records (read after a wait).
  std::vector<call_record> records() {
    std::lock_guard<std::mutex> guard{mtx_};
    return calls_;
  }

  steady::time_point started() const {
    return started_;
  }

  size_t size() const {
    return calls_.size();
  }

private:
  void note(size_t i, bool value, bool right, std::optional<error_code> code) {
    auto now = steady::now();
    {
      std::lock_guard<std::mutex> guard{mtx_};
      auto& rec = calls_[i];
      if (++rec.answers == 1) {
        rec.answered = now;
        rec.value = value;
        rec.right_value = right;
        rec.code = code;
        ++answered_;
        if (code == error_code::overloaded)
          ++overloaded_;
      }
    }
    changed_.notify_all();
  }

  void spawn_caller(caf::actor_system& sys, size_t first, size_t last,
                    issue_fn issue, caf::timespan timeout, size_t chunk);

  std::mutex mtx_;
  std::condition_variable changed_;
  std::vector<call_record> calls_;
  size_t answered_ = 0;
  size_t overloaded_ = 0;
  steady::time_point started_;
};

namespace burst_detail {

using more_atom = caf::atom_constant<caf::atom("more")>;

} // namespace burst_detail

inline void burst::spawn_caller(caf::actor_system& sys, size_t first,
                                size_t last, issue_fn issue,
                                caf::timespan timeout, size_t chunk) {
  sys.spawn([b = shared_from_this(), first, last, issue, timeout,
             chunk](caf::event_based_actor* self) mutable -> caf::behavior {
    auto next = std::make_shared<size_t>(first);
    auto left = std::make_shared<size_t>(last - first);
    auto fn = std::make_shared<issue_fn>(std::move(issue));
    auto done = [self, left] {
      if (--*left == 0)
        self->quit();
    };
    auto issue_chunk = [=] {
      for (size_t k = 0; k < chunk && *next < last; ++k) {
        auto i = (*next)++;
        auto x = static_cast<int32_t>(i);
        {
          std::lock_guard<std::mutex> guard{b->mtx_};
          b->calls_[i].issued = steady::now();
        }
        (*fn)(self, x).timeout(timeout).then(
          [b, i, x, done](int32_t y) {
            b->note(i, true, y == x, std::nullopt);
            done();
          },
          [b, i, done](caf::error& err) {
            b->note(i, false, false, code_of(err));
            done();
          });
      }
      if (*next < last)
        self->send(self, burst_detail::more_atom::value);
    };
    issue_chunk();
    return {[issue_chunk](burst_detail::more_atom) { issue_chunk(); }};
  });
}

/// Calls issued in sequence windows: `n` calls, at most `window` in flight,
/// all through one caller; returns the calls per second and how many
/// answered with the right value (bounded by `limit`; 0 calls/s if the
/// batch did not finish in time).
struct batch_result {
  double per_second = 0;
  size_t right = 0;
  size_t answered = 0;
};

inline batch_result run_batch(caf::actor_system& sys,
                              const std::function<issue_fn()>& make_issue,
                              size_t n, size_t window, caf::timespan limit) {
  struct shared {
    std::mutex mtx;
    std::condition_variable changed;
    size_t answered = 0;
    size_t right = 0;
  };
  auto st = std::make_shared<shared>();
  auto start = steady::now();
  sys.spawn([st, n, window, issue = make_issue()](
              caf::event_based_actor* self) mutable -> caf::behavior {
    auto next = std::make_shared<size_t>(0);
    auto fn = std::make_shared<issue_fn>(std::move(issue));
    auto one = std::make_shared<std::function<void()>>();
    *one = [=]() {
      if (*next == n)
        return;
      auto x = static_cast<int32_t>((*next)++);
      auto finish = [=](bool right) {
        size_t total;
        {
          std::lock_guard<std::mutex> guard{st->mtx};
          total = ++st->answered;
          if (right)
            ++st->right;
        }
        st->changed.notify_all();
        if (total == n) {
          *one = nullptr; // breaks the cycle through the closure
          self->quit();
        } else {
          (*one)();
        }
      };
      (*fn)(self, x)
        .timeout(std::chrono::seconds{30})
        .then([finish, x](int32_t y) { finish(y == x); },
              [finish](caf::error&) { finish(false); });
    };
    for (size_t i = 0; i < window; ++i)
      (*one)();
    return {[](int8_t) {}};
  });
  batch_result result;
  std::unique_lock<std::mutex> guard{st->mtx};
  auto finished
    = st->changed.wait_for(guard, limit, [&] { return st->answered == n; });
  auto secs = std::chrono::duration<double>(steady::now() - start).count();
  result.answered = st->answered;
  result.right = st->right;
  if (finished && secs > 0)
    result.per_second = static_cast<double>(n) / secs;
  return result;
}

/// Runs `run_batch` `times` times: the best rate (a shared machine slows
/// single batches down at random) and the fewest right answers of any.
inline batch_result best_batch(caf::actor_system& sys,
                               const std::function<issue_fn()>& make_issue,
                               size_t n, size_t window, caf::timespan limit,
                               int times = 5) {
  batch_result result;
  result.right = n;
  result.answered = n;
  for (int i = 0; i < times; ++i) {
    auto x = run_batch(sys, make_issue, n, window, limit);
    result.per_second = std::max(result.per_second, x.per_second);
    result.right = std::min(result.right, x.right);
    result.answered = std::min(result.answered, x.answered);
  }
  return result;
}

/// The `q`-quantile (0..1) of `xs` (sorted in place).
inline std::chrono::microseconds
quantile(std::vector<std::chrono::microseconds>& xs, double q) {
  if (xs.empty())
    return std::chrono::microseconds{0};
  std::sort(xs.begin(), xs.end());
  auto at = static_cast<size_t>(q * static_cast<double>(xs.size() - 1));
  return xs[at];
}

/// What one burst against the gated route showed.
struct burst_figures {
  size_t overloaded = 0;
  size_t values = 0;
  std::chrono::microseconds p50{0}, p99{0}, slowest{0};
  uint64_t rss_before_kib = 0;
  uint64_t rss_burst_kib = 0;
};

/// Sends `burst_size` calls through `make_issue` from 4 callers while the
/// gate holds what is admitted; checks that only the excess was answered
/// (with `overloaded`, once each), then releases the gate and checks that
/// the held calls get their own values, once.
inline burst_figures
run_gated_burst(caf::actor_system& sys, gate& g, size_t burst_size,
                int64_t capacity, const std::function<issue_fn()>& make_issue) {
  burst_figures result;
  g.close();
  result.rss_before_kib = rss_kib();
  auto b = std::make_shared<burst>(burst_size);
  b->start(sys, 4, make_issue, std::chrono::seconds{30});
  auto excess = burst_size - static_cast<size_t>(capacity);
  REQUIRE(b->wait_until([&](size_t, size_t over) { return over == excess; },
                        std::chrono::seconds{30}));
  {
    std::unique_lock<std::mutex> guard{g.mtx};
    REQUIRE(g.changed.wait_for(guard, std::chrono::seconds{30}, [&] {
      return g.held.size() == static_cast<size_t>(capacity);
    }));
  }
  result.rss_burst_kib = rss_kib();
  std::vector<std::chrono::microseconds> refusals;
  for (auto& rec : b->records()) {
    if (rec.answers == 0)
      continue;
    REQUIRE(rec.answers == 1);
    REQUIRE(rec.code == error_code::overloaded);
    refusals.push_back(rec.latency());
  }
  // Only the excess has an answer: nothing admitted was refused or lost.
  result.overloaded = refusals.size();
  result.p50 = quantile(refusals, 0.5);
  result.p99 = quantile(refusals, 0.99);
  result.slowest = quantile(refusals, 1.0);
  CHECK(g.release() == static_cast<size_t>(capacity));
  REQUIRE(b->wait_all(std::chrono::seconds{30}));
  for (auto& rec : b->records()) {
    CHECK(rec.answers == 1);
    if (rec.value) {
      CHECK(rec.right_value);
      ++result.values;
    }
  }
  return result;
}

inline std::string describe_burst(const char* what, size_t burst_size,
                                  int64_t capacity, const burst_figures& x) {
  return std::string{what} + ": " + std::to_string(burst_size)
         + " calls, max_in_flight " + std::to_string(capacity) + ": "
         + std::to_string(x.overloaded) + " overloaded, "
         + std::to_string(x.values) + " values; refusal latency p50 "
         + std::to_string(x.p50.count()) + " us, p99 "
         + std::to_string(x.p99.count()) + " us, max "
         + std::to_string(x.slowest.count()) + " us; RSS "
         + std::to_string(x.rss_before_kib / 1024) + " -> "
         + std::to_string(x.rss_burst_kib / 1024) + " MiB";
}

} // namespace switchboard::test
