#include "switchboard/core/pending_table.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

using namespace switchboard::core;
using namespace std::chrono_literals;

namespace {

using table = pending_table<std::string>;
using time_point = table::time_point;

// A fixed origin: tests pass explicit time points and never read the clock.
const time_point t0 = time_point{} + 1000s;

// Inserts `value` as a request sent at `sent_at` with `timeout`, the way a
// caller does: due at `sent_at + timeout`, in the lane of `timeout`.
template <class T, class V>
uint64_t send(pending_table<T>& t, V&& value, time_point sent_at,
              typename pending_table<T>::duration timeout) {
  return t.insert(std::forward<V>(value), sent_at + timeout, timeout);
}

// Collects what `expire` and `clear` pass on, in order.
struct collector {
  std::vector<uint64_t> ids;
  std::vector<std::string> values;

  auto fn() {
    return [this](uint64_t id, std::string&& value) {
      ids.push_back(id);
      values.push_back(std::move(value));
    };
  }
};

} // namespace

TEST_CASE("pending_table ids are never 0 and never equal") {
  table t;
  std::set<uint64_t> ids;
  for (int i = 0; i < 1000; ++i) {
    auto id = send(t, std::to_string(i), t0, 1s);
    CHECK(id != 0);
    ids.insert(id);
  }
  CHECK(ids.size() == 1000);
  CHECK(t.size() == 1000);
}

TEST_CASE("pending_table ids stay distinct while slots are recycled") {
  table t;
  std::set<uint64_t> live;
  std::set<uint64_t> seen;
  std::vector<uint64_t> order;
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 20; ++i) {
      auto id = send(t, "x", t0, 1s);
      CHECK(id != 0);
      CHECK(seen.insert(id).second);
      order.push_back(id);
    }
    // Give back half of them, so that the next round reuses their slots.
    for (int i = 0; i < 10; ++i) {
      CHECK(t.take(order.back()).has_value());
      order.pop_back();
    }
  }
  CHECK(seen.size() == 1000);
  CHECK(t.size() == 500);
}

TEST_CASE("pending_table find returns the inserted value") {
  table t;
  auto a = send(t, "alpha", t0, 1s);
  auto b = send(t, "beta", t0, 2s);
  auto* pa = t.find(a);
  auto* pb = t.find(b);
  REQUIRE(pa != nullptr);
  REQUIRE(pb != nullptr);
  CHECK(*pa == "alpha");
  CHECK(*pb == "beta");
  // find does not remove.
  CHECK(t.size() == 2);
  REQUIRE(t.find(a) != nullptr);
  CHECK(*t.find(a) == "alpha");
}

TEST_CASE("pending_table find gives access to the stored value") {
  table t;
  auto id = send(t, "before", t0, 1s);
  *t.find(id) = "after";
  auto taken = t.take(id);
  REQUIRE(taken.has_value());
  CHECK(*taken == "after");
}

TEST_CASE("pending_table take returns the value and forgets the id") {
  table t;
  auto a = send(t, "alpha", t0, 1s);
  auto b = send(t, "beta", t0, 1s);
  auto taken = t.take(a);
  REQUIRE(taken.has_value());
  CHECK(*taken == "alpha");
  CHECK(t.size() == 1);
  CHECK(t.find(a) == nullptr);
  CHECK_FALSE(t.take(a).has_value());
  CHECK(t.size() == 1);
  // The other entry is untouched.
  REQUIRE(t.find(b) != nullptr);
  CHECK(*t.find(b) == "beta");
}

TEST_CASE("pending_table take_with runs on the value in place, once, and "
          "forgets the id") {
  // Counts the value's moves: take_with must not move it.
  struct counted {
    int* moves;
    std::string text;
    counted(int* m, std::string t) : moves(m), text(std::move(t)) {
    }
    counted(counted&& other) noexcept
      : moves(other.moves), text(std::move(other.text)) {
      ++*moves;
    }
  };
  pending_table<counted> t;
  int moves = 0;
  auto a = send(t, counted{&moves, "alpha"}, t0, 1s);
  auto b = send(t, counted{&moves, "beta"}, t0, 1s);
  moves = 0;
  int runs = 0;
  CHECK(t.take_with(a, [&](counted& x) {
    ++runs;
    CHECK(x.text == "alpha");
  }));
  CHECK(runs == 1);
  CHECK(moves == 0);
  CHECK(t.size() == 1);
  CHECK(t.find(a) == nullptr);
  CHECK_FALSE(t.take_with(a, [&](counted&) { ++runs; }));
  CHECK(runs == 1);
  // Neither expiry nor clear sees it again; the other entry is untouched.
  std::vector<std::string> expired;
  t.expire(t0 + 1s,
           [&](uint64_t, counted&& x) { expired.push_back(x.text); });
  CHECK(expired == std::vector<std::string>{"beta"});
  CHECK(t.find(b) == nullptr);
  CHECK(t.empty());
}

TEST_CASE("pending_table take_with lets the callback insert, take and expire "
          "without reusing the running entry's slot") {
  table t;
  auto a = send(t, "alpha", t0, 1s);
  auto b = send(t, "beta", t0, 1s);
  uint64_t inserted = 0;
  std::string seen;
  CHECK(t.take_with(a, [&](std::string& x) {
    // The id is gone while its callback runs.
    CHECK(t.find(a) == nullptr);
    CHECK_FALSE(t.take(a).has_value());
    // New entries go elsewhere: the running value stays intact.
    for (int i = 0; i < 100; ++i)
      inserted = send(t, "new " + std::to_string(i), t0, 2s);
    CHECK(t.take(b).value_or("") == "beta");
    CHECK(t.expire(t0 + 1s, [](uint64_t, std::string&&) {}) == 0);
    seen = x;
  }));
  CHECK(seen == "alpha");
  CHECK(t.size() == 100);
  REQUIRE(t.find(inserted) != nullptr);
  CHECK(*t.find(inserted) == "new 99");
  // The freed slot is reused only now, by a fresh id.
  auto c = send(t, "gamma", t0, 1s);
  CHECK(c != a);
  CHECK(t.find(a) == nullptr);
  CHECK(*t.find(c) == "gamma");
}

TEST_CASE("pending_table take_with frees the entry when the callback throws") {
  table t;
  auto a = send(t, "alpha", t0, 1s);
  CHECK_THROWS_AS(t.take_with(a, [](std::string&) { throw std::runtime_error{"x"}; }),
                  std::runtime_error);
  CHECK(t.empty());
  CHECK(t.find(a) == nullptr);
  auto b = send(t, "beta", t0, 1s);
  CHECK(*t.find(b) == "beta");
}

TEST_CASE("pending_table does not answer to ids it never issued") {
  table t;
  CHECK(t.find(0) == nullptr);
  CHECK_FALSE(t.take(0).has_value());
  auto id = send(t, "alpha", t0, 1s);
  CHECK(t.find(0) == nullptr);
  CHECK(t.find(id + 1) == nullptr);
  CHECK(t.find(id + (uint64_t{1} << 32)) == nullptr);
  CHECK(t.find(0xFFFFFFFFFFFFFFFFull) == nullptr);
  CHECK_FALSE(t.take(id + 1).has_value());
  CHECK(t.size() == 1);
}

TEST_CASE("pending_table does not answer to a free slot's next id before the "
          "slot is reused") {
  table t;
  auto id = send(t, "alpha", t0, 1s);
  REQUIRE(t.take(id).has_value());
  // The id the slot will carry once reused; nothing is stored there yet.
  auto next_id = id + (uint64_t{1} << 32);
  CHECK(t.find(next_id) == nullptr);
  CHECK_FALSE(t.take(next_id).has_value());
  CHECK(t.size() == 0);
}

TEST_CASE("pending_table does not answer to an old id after reusing its slot") {
  table t;
  auto old_id = send(t, "old", t0, 1s);
  REQUIRE(t.take(old_id).has_value());
  auto new_id = send(t, "new", t0, 1s);
  // The freed slot is reused (same low half), under a new generation.
  REQUIRE((new_id & 0xFFFFFFFFull) == (old_id & 0xFFFFFFFFull));
  CHECK(new_id != old_id);
  CHECK(t.find(old_id) == nullptr);
  CHECK_FALSE(t.take(old_id).has_value());
  CHECK(t.size() == 1);
  REQUIRE(t.find(new_id) != nullptr);
  CHECK(*t.find(new_id) == "new");
}

TEST_CASE("pending_table does not answer to an expired id after reusing its "
          "slot") {
  table t;
  auto old_id = send(t, "old", t0, 1s);
  CHECK(t.expire(t0 + 1s, [](uint64_t, std::string&&) {}) == 1);
  auto new_id = send(t, "new", t0 + 1s, 1s);
  CHECK(new_id != old_id);
  CHECK(t.find(old_id) == nullptr);
  CHECK_FALSE(t.take(old_id).has_value());
  REQUIRE(t.find(new_id) != nullptr);
  CHECK(*t.find(new_id) == "new");
}

TEST_CASE("pending_table expire removes exactly the entries that are due") {
  table t;
  // One lane (same timeout), inserted at increasing times.
  auto a = send(t, "a", t0, 10s);
  auto b = send(t, "b", t0 + 1s, 10s);
  auto c = send(t, "c", t0 + 2s, 10s);
  auto d = send(t, "d", t0 + 3s, 10s);
  SECTION("nothing is due before the first deadline") {
    collector got;
    CHECK(t.expire(t0 + 10s - 1ns, got.fn()) == 0);
    CHECK(got.ids.empty());
    CHECK(t.size() == 4);
  }
  SECTION("a deadline equal to now is due") {
    collector got;
    CHECK(t.expire(t0 + 11s, got.fn()) == 2);
    CHECK(got.ids == std::vector<uint64_t>{a, b});
    CHECK(got.values == std::vector<std::string>{"a", "b"});
    CHECK(t.size() == 2);
    CHECK(t.find(a) == nullptr);
    CHECK(t.find(b) == nullptr);
    REQUIRE(t.find(c) != nullptr);
    REQUIRE(t.find(d) != nullptr);
    CHECK(*t.find(c) == "c");
    CHECK(*t.find(d) == "d");
  }
  SECTION("later calls pick up where earlier ones stopped") {
    collector got;
    CHECK(t.expire(t0 + 10s, got.fn()) == 1);
    CHECK(t.expire(t0 + 12s + 500ms, got.fn()) == 2);
    CHECK(t.expire(t0 + 12s + 600ms, got.fn()) == 0);
    CHECK(t.expire(t0 + 20s, got.fn()) == 1);
    CHECK(got.ids == std::vector<uint64_t>{a, b, c, d});
    CHECK(got.values == std::vector<std::string>{"a", "b", "c", "d"});
    CHECK(t.empty());
  }
}

TEST_CASE("pending_table expire skips entries already taken") {
  table t;
  auto a = send(t, "a", t0, 1s);
  auto b = send(t, "b", t0, 1s);
  auto c = send(t, "c", t0, 1s);
  REQUIRE(t.take(b).has_value());
  collector got;
  CHECK(t.expire(t0 + 1s, got.fn()) == 2);
  CHECK(got.ids == std::vector<uint64_t>{a, c});
  CHECK(got.values == std::vector<std::string>{"a", "c"});
  CHECK(t.empty());
}

TEST_CASE("pending_table expires lanes independently of insertion order") {
  table t;
  // A long timeout first, then a short one: the short one is due first even
  // though it sits behind the long one in insertion order.
  auto long_id = send(t, "long", t0, 10s);
  auto short_id = send(t, "short", t0 + 1ms, 1s);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == t0 + 1ms + 1s);
  collector got;
  CHECK(t.expire(t0 + 2s, got.fn()) == 1);
  CHECK(got.ids == std::vector<uint64_t>{short_id});
  CHECK(got.values == std::vector<std::string>{"short"});
  CHECK(t.find(short_id) == nullptr);
  REQUIRE(t.find(long_id) != nullptr);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == t0 + 10s);
  CHECK(t.expire(t0 + 10s, got.fn()) == 1);
  CHECK(got.ids == std::vector<uint64_t>{short_id, long_id});
  CHECK(t.empty());
}

TEST_CASE("pending_table expires several lanes in one call") {
  table t;
  std::map<uint64_t, std::string> due;
  std::set<uint64_t> not_due;
  // Three timeouts, interleaved.
  for (int i = 0; i < 30; ++i) {
    auto now = t0 + std::chrono::milliseconds{i};
    auto timeout = std::chrono::seconds{1 + i % 3};
    auto value = std::to_string(i);
    auto id = send(t, value, now, timeout);
    if (now + timeout <= t0 + 2s + 5ms)
      due.emplace(id, value);
    else
      not_due.insert(id);
  }
  // Lane 1s: all 10; lane 2s: i = 1 and 4 (inserted at 1ms and 4ms); lane 3s:
  // none.
  REQUIRE(due.size() == 12);
  std::map<uint64_t, std::string> got;
  auto n = t.expire(t0 + 2s + 5ms, [&](uint64_t id, std::string&& value) {
    got.emplace(id, std::move(value));
  });
  CHECK(n == 12);
  CHECK(got == due);
  CHECK(t.size() == 18);
  for (auto id : not_due)
    CHECK(t.find(id) != nullptr);
  for (auto& kvp : due)
    CHECK(t.find(kvp.first) == nullptr);
}

TEST_CASE("pending_table files an entry under its timeout, due at the given "
          "deadline") {
  table t;
  // A call that overrides its start: same timeout, so same lane, but a
  // deadline that is not "now + timeout" of the inserting moment.
  auto a = t.insert("a", t0 + 3s, 5s);
  auto b = t.insert("b", t0 + 4s, 5s);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == t0 + 3s);
  collector got;
  CHECK(t.expire(t0 + 3s, got.fn()) == 1);
  CHECK(got.ids == std::vector<uint64_t>{a});
  CHECK(*t.next_deadline() == t0 + 4s);
  CHECK(t.expire(t0 + 4s, got.fn()) == 1);
  CHECK(got.ids == std::vector<uint64_t>{a, b});
}

TEST_CASE("pending_table expires an out-of-order entry no earlier than the "
          "entries ahead of it") {
  table t;
  // Same lane; the second entry is due before the first.
  auto first = t.insert("first", t0 + 5s, 5s);
  auto second = t.insert("second", t0 + 3s, 5s);
  collector got;
  CHECK(t.expire(t0 + 4s, got.fn()) == 0);
  CHECK(t.size() == 2);
  CHECK(t.find(second) != nullptr);
  CHECK(t.expire(t0 + 5s, got.fn()) == 2);
  CHECK(got.ids == std::vector<uint64_t>{first, second});
  CHECK(t.empty());
}

TEST_CASE("pending_table expires in deadline order within a lane") {
  table t;
  std::vector<uint64_t> ids;
  for (int i = 0; i < 100; ++i)
    ids.push_back(send(t, std::to_string(i), t0 + std::chrono::milliseconds{i},
                           5s));
  std::vector<uint64_t> got;
  t.expire(t0 + 10s, [&](uint64_t id, std::string&&) { got.push_back(id); });
  CHECK(got == ids);
}

TEST_CASE("pending_table next_deadline is the earliest deadline of all lanes") {
  table t;
  CHECK_FALSE(t.next_deadline().has_value());
  auto a = send(t, "a", t0, 30s);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == t0 + 30s);
  auto b = send(t, "b", t0 + 1s, 5s);
  CHECK(*t.next_deadline() == t0 + 6s);
  auto c = send(t, "c", t0 + 2s, 20s);
  CHECK(*t.next_deadline() == t0 + 6s);
  REQUIRE(t.take(b).has_value());
  CHECK(*t.next_deadline() == t0 + 22s);
  REQUIRE(t.take(c).has_value());
  CHECK(*t.next_deadline() == t0 + 30s);
  REQUIRE(t.take(a).has_value());
  CHECK_FALSE(t.next_deadline().has_value());
}

TEST_CASE("pending_table next_deadline follows the head of a lane") {
  table t;
  auto a = send(t, "a", t0, 5s);
  send(t, "b", t0 + 1s, 5s);
  CHECK(*t.next_deadline() == t0 + 5s);
  REQUIRE(t.take(a).has_value());
  CHECK(*t.next_deadline() == t0 + 6s);
  t.expire(t0 + 6s, [](uint64_t, std::string&&) {});
  CHECK_FALSE(t.next_deadline().has_value());
}

TEST_CASE("pending_table size tracks inserts, takes, expiry and clear") {
  table t;
  CHECK(t.size() == 0);
  CHECK(t.empty());
  auto a = send(t, "a", t0, 1s);
  auto b = send(t, "b", t0, 2s);
  send(t, "c", t0, 3s);
  CHECK(t.size() == 3);
  CHECK_FALSE(t.empty());
  t.take(a);
  CHECK(t.size() == 2);
  t.take(a);
  CHECK(t.size() == 2);
  t.find(b);
  CHECK(t.size() == 2);
  CHECK(t.expire(t0 + 2s, [](uint64_t, std::string&&) {}) == 1);
  CHECK(t.size() == 1);
  t.clear([](uint64_t, std::string&&) {});
  CHECK(t.size() == 0);
  CHECK(t.empty());
}

TEST_CASE("pending_table expire callback may insert new entries") {
  table t;
  std::vector<uint64_t> expired = {send(t, "a", t0, 1s),
                                   send(t, "b", t0, 1s),
                                   send(t, "c", t0, 1s)};
  auto other = send(t, "other", t0, 7s);
  std::vector<uint64_t> got;
  std::vector<uint64_t> retries;
  auto now = t0 + 1s;
  auto n = t.expire(now, [&](uint64_t id, std::string&& value) {
    got.push_back(id);
    // Bounded, so that a table that expires its own retries cannot loop.
    if (got.size() > 3)
      return;
    // Retry in the same lane, in a fresh lane, and in the other lane; none
    // of these is due yet.
    retries.push_back(send(t, value + "-retry", now, 1s));
    retries.push_back(send(t, value + "-new-lane", now, 4s));
    retries.push_back(send(t, value + "-other-lane", now, 7s));
  });
  // Only the three entries that were due are passed on, once each.
  CHECK(n == 3);
  CHECK(got == expired);
  CHECK(t.size() == 1 + 9);
  REQUIRE(retries.size() == 9);
  std::set<uint64_t> distinct(retries.begin(), retries.end());
  CHECK(distinct.size() == 9);
  CHECK(distinct.count(other) == 0);
  for (auto id : retries)
    CHECK(t.find(id) != nullptr);
  REQUIRE(t.find(retries[0]) != nullptr);
  CHECK(*t.find(retries[0]) == "a-retry");
  REQUIRE(t.find(retries[4]) != nullptr);
  CHECK(*t.find(retries[4]) == "b-new-lane");
  for (auto id : expired)
    CHECK(t.find(id) == nullptr);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == now + 1s);
  // The retries expire on their own schedule.
  std::vector<std::string> later;
  CHECK(t.expire(now + 1s, [&](uint64_t, std::string&& v) {
    later.push_back(std::move(v));
  }) == 3);
  CHECK(later == std::vector<std::string>{"a-retry", "b-retry", "c-retry"});
  CHECK(t.expire(now + 4s, [&](uint64_t, std::string&& v) {
    later.push_back(std::move(v));
  }) == 3);
  CHECK(t.size() == 4);
}

TEST_CASE("pending_table expire callback may take other entries") {
  table t;
  auto a = send(t, "a", t0, 1s);
  auto b = send(t, "b", t0, 1s);
  auto c = send(t, "c", t0 + 1s, 1s);
  auto d = send(t, "d", t0, 3s);
  std::vector<uint64_t> got;
  std::vector<std::string> taken;
  auto n = t.expire(t0 + 2s, [&](uint64_t id, std::string&&) {
    got.push_back(id);
    if (id == a) {
      // Take the next due entry of the same lane and one of another lane.
      auto x = t.take(b);
      auto y = t.take(d);
      REQUIRE(x.has_value());
      REQUIRE(y.has_value());
      taken.push_back(*x);
      taken.push_back(*y);
    }
  });
  CHECK(n == 2);
  CHECK(got == std::vector<uint64_t>{a, c});
  CHECK(taken == std::vector<std::string>{"b", "d"});
  CHECK(t.empty());
  CHECK_FALSE(t.next_deadline().has_value());
}

TEST_CASE("pending_table clear passes on every entry of every lane") {
  table t;
  std::map<uint64_t, std::string> inserted;
  for (int i = 0; i < 20; ++i) {
    auto value = "v" + std::to_string(i);
    inserted.emplace(send(t, value, t0, std::chrono::seconds{1 + i % 4}),
                     value);
  }
  // Holes in the lanes must not stop the walk.
  auto hole = inserted.begin()->first;
  REQUIRE(t.take(hole).has_value());
  inserted.erase(hole);
  std::map<uint64_t, std::string> got;
  t.clear([&](uint64_t id, std::string&& value) {
    CHECK(got.emplace(id, std::move(value)).second);
  });
  CHECK(got == inserted);
  CHECK(t.empty());
  CHECK_FALSE(t.next_deadline().has_value());
  for (auto& kvp : inserted)
    CHECK(t.find(kvp.first) == nullptr);
  // The table is usable afterwards.
  auto id = send(t, "again", t0, 1s);
  CHECK(inserted.count(id) == 0);
  REQUIRE(t.find(id) != nullptr);
  CHECK(*t.find(id) == "again");
}

TEST_CASE("pending_table holds move-only values") {
  pending_table<std::unique_ptr<int>> t;
  auto a = send(t, std::make_unique<int>(1), t0, 1s);
  auto b = send(t, std::make_unique<int>(2), t0, 2s);
  REQUIRE(t.find(a) != nullptr);
  CHECK(**t.find(a) == 1);
  auto taken = t.take(a);
  REQUIRE(taken.has_value());
  REQUIRE(*taken != nullptr);
  CHECK(**taken == 1);
  int expired_value = 0;
  CHECK(t.expire(t0 + 2s,
                 [&](uint64_t id, std::unique_ptr<int>&& value) {
                   CHECK(id == b);
                   expired_value = *value;
                 })
        == 1);
  CHECK(expired_value == 2);
  CHECK(t.empty());
}

TEST_CASE("pending_table keeps an exact size with 100000 entries taken in "
          "arbitrary order") {
  constexpr size_t count = 100000;
  pending_table<uint64_t> t;
  std::vector<std::pair<uint64_t, uint64_t>> entries; // id, value
  entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    auto timeout = std::chrono::seconds{1 + static_cast<int64_t>(i % 3)};
    auto now = t0 + std::chrono::microseconds{static_cast<int64_t>(i)};
    entries.emplace_back(send(t, i * 7, now, timeout), i * 7);
  }
  REQUIRE(t.size() == count);
  std::mt19937_64 rng{20240501};
  std::shuffle(entries.begin(), entries.end(), rng);
  size_t wrong_values = 0;
  size_t wrong_sizes = 0;
  size_t still_found = 0;
  size_t expected_size = count;
  for (auto& [id, value] : entries) {
    auto taken = t.take(id);
    if (!taken || *taken != value)
      ++wrong_values;
    --expected_size;
    if (t.size() != expected_size)
      ++wrong_sizes;
    if (t.find(id) != nullptr)
      ++still_found;
  }
  CHECK(wrong_values == 0);
  CHECK(wrong_sizes == 0);
  CHECK(still_found == 0);
  CHECK(t.empty());
  CHECK_FALSE(t.next_deadline().has_value());
  CHECK(t.expire(t0 + 1h, [](uint64_t, uint64_t&&) {}) == 0);
}

TEST_CASE("pending_table expires 100000 entries after taking half of them") {
  constexpr uint64_t count = 100000;
  pending_table<uint64_t> t;
  std::vector<uint64_t> ids;
  ids.reserve(count);
  for (uint64_t i = 0; i < count; ++i)
    ids.push_back(send(t, i, t0, std::chrono::seconds{1 + static_cast<int64_t>(i % 2)}));
  std::vector<uint64_t> order(count);
  for (uint64_t i = 0; i < count; ++i)
    order[i] = i;
  std::mt19937_64 rng{7};
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<bool> live(count, true);
  for (uint64_t i = 0; i < count / 2; ++i) {
    auto k = order[i];
    REQUIRE(t.take(ids[k]).has_value());
    live[k] = false;
  }
  REQUIRE(t.size() == count / 2);
  std::vector<bool> expired(count, false);
  size_t bad = 0;
  auto n = t.expire(t0 + 2s, [&](uint64_t id, uint64_t&& value) {
    if (value >= count || ids[value] != id || !live[value] || expired[value])
      ++bad;
    else
      expired[value] = true;
  });
  CHECK(bad == 0);
  CHECK(n == count / 2);
  CHECK(t.empty());
}

TEST_CASE("pending_table puts timeouts within a sixteenth of each other in "
          "one class and farther ones apart") {
  using ns = std::chrono::nanoseconds;
  auto cls = [](int64_t t) { return table::timeout_class(ns{t}); };
  // Below 16 ns every value is a class of its own.
  for (int64_t t = 0; t < 16; ++t)
    CHECK(cls(t) == static_cast<uint32_t>(t));
  CHECK(cls(-5) == 0);
  // 100 ms and the values just below it (a mesh call's time left) share a
  // class with bounded spread; 5 s is elsewhere.
  CHECK(cls(100'000'000) == cls(99'000'000));
  CHECK(cls(100'000'000) != cls(5'000'000'000));
  // Every class spans less than 1/16 of its smallest member.
  std::mt19937_64 rng{42};
  for (int i = 0; i < 100000; ++i) {
    auto a = static_cast<int64_t>(rng() >> (1 + rng() % 62));
    auto b = static_cast<int64_t>(rng() >> (1 + rng() % 62));
    if (a >= 16 && b >= 16 && cls(a) == cls(b)) {
      auto lo = std::min(a, b);
      CHECK(std::max(a, b) - lo < lo / 16 + 1);
    }
    CHECK(cls(a) < table::class_count);
  }
  CHECK(cls(INT64_MAX) == table::class_count - 1);
}

TEST_CASE("pending_table opens a bounded number of lanes for 10000 distinct "
          "timeouts") {
  table t;
  std::vector<uint64_t> ids;
  // Each call carries a different timeout, between 1 ms and 10 s (what a
  // node relaying mesh calls sees): one lane per class, not per value.
  for (int i = 0; i < 10000; ++i)
    ids.push_back(send(t, "x", t0 + std::chrono::microseconds{i},
                       1ms + std::chrono::microseconds{999} * i));
  // 10 s / 1 ms spans 14 doublings of 16 classes each.
  CHECK(t.lanes_in_use() <= 16 * 15);
  CHECK(t.lanes_in_use() > 16); // Not one lane for all: classes differ.
  CHECK(t.size() == 10000);
  REQUIRE(t.next_deadline().has_value());
  CHECK(*t.next_deadline() == t0 + 1ms);
  for (auto id : ids)
    REQUIRE(t.take(id).has_value());
  CHECK(t.lanes_in_use() == 0);
  CHECK_FALSE(t.next_deadline().has_value());
}

TEST_CASE("pending_table reclaims a lane when its last entry leaves") {
  table t;
  // More timeouts in turn than a table keeps lanes for at once, each taken
  // before the next: the lanes stay few, with and without the class index.
  for (int round = 0; round < 2; ++round) {
    for (int i = 1; i <= 1000; ++i) {
      auto id = send(t, "x", t0, std::chrono::seconds{i});
      CHECK(t.lanes_in_use() == 1);
      REQUIRE(t.take(id).has_value());
      CHECK(t.lanes_in_use() == 0);
    }
    // Open many lanes at once (this builds the index), expire them all.
    for (int i = 1; i <= 100; ++i)
      send(t, "y", t0, std::chrono::seconds{i * 7});
    CHECK(t.lanes_in_use() > 4);
    CHECK(t.expire(t0 + 1000s, [](uint64_t, std::string&&) {}) == 100);
    CHECK(t.lanes_in_use() == 0);
  }
  // Expiry emptied the lanes; one more timeout uses one.
  auto id = send(t, "z", t0, 3s);
  CHECK(t.lanes_in_use() == 1);
  CHECK(*t.find(id) == "z");
}

TEST_CASE("pending_table expires mixed timeouts no earlier than due and less "
          "than a sixteenth of the timeout late") {
  table t;
  struct entry {
    time_point deadline;
    table::duration timeout;
  };
  std::map<uint64_t, entry> live;
  std::mt19937_64 rng{7};
  auto now = t0;
  size_t expired = 0;
  auto check_expiry = [&](uint64_t id, std::string&&) {
    auto i = live.find(id);
    REQUIRE(i != live.end());
    CHECK(i->second.deadline <= now);
    CHECK(now - i->second.deadline
          <= i->second.timeout / 16 + std::chrono::microseconds{100});
    live.erase(i);
    ++expired;
  };
  for (int step = 0; step < 20000; ++step) {
    // Calls with random timeouts between 1 ms and 1 s, sent in time order,
    // some answered early; time moves 100 µs per step.
    auto timeout = std::chrono::microseconds{1000 + rng() % 999000};
    auto id = send(t, "x", now, timeout);
    live.emplace(id, entry{now + timeout, timeout});
    if (rng() % 4 == 0) {
      auto victim = live.begin();
      std::advance(victim, static_cast<long>(rng() % live.size()));
      REQUIRE(t.take(victim->first).has_value());
      live.erase(victim);
    }
    now += std::chrono::microseconds{100};
    t.expire(now, check_expiry);
  }
  // Let the rest run out the same way (bounded: the last is due in 1 s).
  for (int step = 0; !live.empty() && step < 20000; ++step) {
    now += std::chrono::microseconds{100};
    t.expire(now, check_expiry);
  }
  CHECK(live.empty());
  CHECK(t.empty());
  CHECK(expired > 10000);
}
