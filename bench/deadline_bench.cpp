// What a deadline costs a caller: `core::pending_table` (the table every
// caller, worker and link keeps its outstanding calls in) against the
// hand-rolled alternative, an ordered multimap of deadlines beside a hash map
// of ids. Not a test; see docs/benchmarks.md.
//
// Each measurement keeps `window` calls in flight and replaces one per step:
// insert a call (due at now + its timeout) and take the oldest one (its
// reply), on a simulated clock that moves 1 µs per step. Timers work the way
// callers and workers use the table: one tick is armed at the earliest
// deadline (earlier when an insert is due sooner); when the clock reaches
// it, what is due expires and the next tick goes to `next_deadline()`.
// Timeout mixes: one value for every call; four values in turn; and a
// different value per call, like a node relaying mesh calls with the time
// each has left (1 ms to 10 s). Prints ns per step (median of --repeat runs)
// and alternative / table.

#include "switchboard/core/pending_table.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using duration = clock_type::duration;

/// The payload a caller keeps per call (a continuation pointer, in effect).
struct call {
  uint64_t cookie = 0;
};

/// The common alternative: deadlines in a red-black tree, ids in a hash map.
class multimap_table {
public:
  uint64_t insert(call value, time_point deadline, duration) {
    auto id = ++next_id_;
    auto pos = by_deadline_.emplace(deadline, id);
    by_id_.emplace(id, entry{value, pos});
    return id;
  }

  bool take(uint64_t id) {
    auto i = by_id_.find(id);
    if (i == by_id_.end())
      return false;
    by_deadline_.erase(i->second.pos);
    by_id_.erase(i);
    return true;
  }

  std::optional<time_point> next_deadline() const {
    if (by_deadline_.empty())
      return std::nullopt;
    return by_deadline_.begin()->first;
  }

  template <class F>
  size_t expire(time_point now, F&& f) {
    size_t n = 0;
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      auto id = by_deadline_.begin()->second;
      by_deadline_.erase(by_deadline_.begin());
      auto i = by_id_.find(id);
      f(id, std::move(i->second.value));
      by_id_.erase(i);
      ++n;
    }
    return n;
  }

private:
  using tree = std::multimap<time_point, uint64_t>;
  struct entry {
    call value;
    tree::iterator pos;
  };
  tree by_deadline_;
  std::unordered_map<uint64_t, entry> by_id_;
  uint64_t next_id_ = 0;
};

enum class mix { one, four, distinct };

const char* name_of(mix m) {
  switch (m) {
    case mix::one:
      return "one";
    case mix::four:
      return "four";
    default:
      return "distinct";
  }
}

/// The timeouts of `steps` calls under mix `m`.
std::vector<duration> timeouts(mix m, size_t steps) {
  std::vector<duration> result;
  result.reserve(steps);
  std::mt19937_64 rng{1};
  const duration four[] = {std::chrono::milliseconds{100},
                           std::chrono::seconds{1}, std::chrono::seconds{5},
                           std::chrono::seconds{30}};
  for (size_t i = 0; i < steps; ++i)
    switch (m) {
      case mix::one:
        result.push_back(std::chrono::seconds{5});
        break;
      case mix::four:
        result.push_back(four[i % 4]);
        break;
      default:
        result.push_back(std::chrono::microseconds{1000 + rng() % 9'999'000});
    }
  return result;
}

/// ns per step (insert + take the oldest + the timer's share) of `table`
/// with `window` calls in flight.
template <class Table>
double run(size_t window, const std::vector<duration>& ts) {
  Table table;
  std::deque<uint64_t> fifo;
  auto now = time_point{} + std::chrono::hours{1};
  size_t expired = 0;
  auto on_expired = [&](uint64_t, call&&) { ++expired; };
  // Fill the window first, then measure the steady state.
  for (size_t i = 0; i < window; ++i)
    fifo.push_back(table.insert(call{i}, now + ts[i % ts.size()],
                                ts[i % ts.size()]));
  auto tick = table.next_deadline();
  size_t ticks = 0;
  auto start = clock_type::now();
  for (size_t i = 0; i < ts.size(); ++i) {
    now += std::chrono::microseconds{1};
    auto deadline = now + ts[i];
    fifo.push_back(table.insert(call{i}, deadline, ts[i]));
    if (!tick || deadline < *tick)
      tick = deadline;
    table.take(fifo.front());
    fifo.pop_front();
    if (tick && *tick <= now) {
      ++ticks;
      table.expire(now, on_expired);
      tick = table.next_deadline();
    }
  }
  auto elapsed = clock_type::now() - start;
  if (expired > ts.size() || ticks > ts.size()) // Keeps them observable.
    std::cerr << "expired more than inserted\n";
  return static_cast<double>(
           std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed)
             .count())
         / static_cast<double>(ts.size());
}

double median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs[xs.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"deadline_bench: pending_table against a multimap of "
               "deadlines"};
  std::vector<size_t> windows{100, 10000, 100000};
  size_t steps = 1'000'000;
  size_t repeat = 5;
  app.add_option("--windows", windows, "calls in flight");
  app.add_option("--steps", steps, "measured steps per run");
  app.add_option("--repeat", repeat, "runs per figure (median)");
  CLI11_PARSE(app, argc, argv);
  using table = switchboard::core::pending_table<call>;
  std::printf("%-9s %8s %12s %12s %8s\n", "timeouts", "window",
              "table ns", "multimap ns", "ratio");
  for (auto m : {mix::one, mix::four, mix::distinct}) {
    auto ts = timeouts(m, steps);
    for (auto w : windows) {
      std::vector<double> a;
      std::vector<double> b;
      for (size_t r = 0; r < repeat; ++r) { // Interleaved.
        a.push_back(run<table>(w, ts));
        b.push_back(run<multimap_table>(w, ts));
      }
      auto x = median(a);
      auto y = median(b);
      std::printf("%-9s %8zu %12.1f %12.1f %8.2f\n", name_of(m), w, x, y,
                  y / x);
    }
  }
  return 0;
}
