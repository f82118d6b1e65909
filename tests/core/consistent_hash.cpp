#include "switchboard/core/consistent_hash.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "pool_fixture.hpp"

using namespace switchboard::core;
using switchboard::core::test::pool_fixture;

namespace {

// Keys as callers produce them: small integers and scattered 64-bit values.
std::vector<uint64_t> sample_keys(size_t n) {
  std::vector<uint64_t> result;
  result.reserve(n);
  for (uint64_t i = 0; i < n / 2; ++i)
    result.push_back(i);
  uint64_t x = 0x243F6A8885A308D3ull;
  while (result.size() < n) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    result.push_back(x);
  }
  return result;
}

} // namespace

TEST_CASE("consistent_hash sends equal keys to the same worker") {
  pool_fixture pool{5};
  consistent_hash policy;
  auto keys = sample_keys(1000);
  std::vector<size_t> first;
  for (auto key : keys)
    first.push_back(policy.select(pool.view(), key));
  for (int round = 0; round < 3; ++round) {
    std::vector<size_t> again;
    for (auto key : keys)
      again.push_back(policy.select(pool.view(), key));
    CHECK(again == first);
  }
}

TEST_CASE("consistent_hash select agrees with bucket for the pool size") {
  pool_fixture pool{6};
  consistent_hash policy;
  size_t mismatches = 0;
  for (auto key : sample_keys(1000))
    if (policy.select(pool.view(), key) != consistent_hash::bucket(key, 6))
      ++mismatches;
  CHECK(mismatches == 0);
}

TEST_CASE("consistent_hash bucket is always below the number of buckets") {
  auto keys = sample_keys(2000);
  keys.push_back(0xFFFFFFFFFFFFFFFFull);
  keys.push_back(0x8000000000000000ull);
  for (size_t buckets : {size_t{1}, size_t{2}, size_t{3}, size_t{10},
                         size_t{100}, size_t{1000}, size_t{65536}}) {
    size_t out_of_range = 0;
    for (auto key : keys)
      if (consistent_hash::bucket(key, buckets) >= buckets)
        ++out_of_range;
    INFO(buckets << " buckets");
    CHECK(out_of_range == 0);
  }
}

TEST_CASE("consistent_hash maps every key to 0 in a single-worker pool") {
  pool_fixture pool{1};
  consistent_hash policy;
  size_t nonzero = 0;
  for (auto key : sample_keys(1000))
    if (policy.select(pool.view(), key) != 0)
      ++nonzero;
  CHECK(nonzero == 0);
  CHECK(consistent_hash::bucket(0xFFFFFFFFFFFFFFFFull, 1) == 0);
}

TEST_CASE("consistent_hash spreads keys roughly evenly over the workers") {
  // The hash is deterministic, so these bounds hold or fail every run.
  constexpr size_t key_count = 10000;
  auto keys = sample_keys(key_count);
  SECTION("small integer keys") {
    std::array<size_t, 4> counts{};
    for (uint64_t key = 0; key < key_count; ++key)
      ++counts.at(consistent_hash::bucket(key, 4));
    for (size_t w = 0; w < counts.size(); ++w) {
      INFO("worker " << w << " got " << counts[w]);
      CHECK(counts[w] >= key_count / 5);
      CHECK(counts[w] <= key_count * 3 / 10);
    }
  }
  SECTION("mixed keys over seven workers") {
    std::array<size_t, 7> counts{};
    for (auto key : keys)
      ++counts.at(consistent_hash::bucket(key, 7));
    for (size_t w = 0; w < counts.size(); ++w) {
      INFO("worker " << w << " got " << counts[w]);
      // Expectation about 1429 per worker.
      CHECK(counts[w] >= 1100);
      CHECK(counts[w] <= 1750);
    }
  }
}

TEST_CASE("consistent_hash moves only about 1/(n+1) of keys when a worker "
          "joins") {
  auto keys = sample_keys(10000);
  size_t moved = 0;
  size_t moved_elsewhere = 0;
  for (auto key : keys) {
    auto before = consistent_hash::bucket(key, 4);
    auto after = consistent_hash::bucket(key, 5);
    if (before != after) {
      ++moved;
      if (after != 4)
        ++moved_elsewhere;
    }
  }
  auto fraction = static_cast<double>(moved) / static_cast<double>(keys.size());
  INFO(moved << " of " << keys.size() << " keys moved");
  // Ideal: 1/5 of the keys.
  CHECK(fraction > 0.1);
  CHECK(fraction < 0.3);
  // Jump hashing moves keys only to the new worker, never between old ones.
  CHECK(moved_elsewhere == 0);
}

TEST_CASE("consistent_hash moves keys only to the new worker as a pool grows") {
  auto keys = sample_keys(2000);
  for (size_t n = 1; n < 40; ++n) {
    size_t moved_elsewhere = 0;
    size_t moved = 0;
    for (auto key : keys) {
      auto before = consistent_hash::bucket(key, n);
      auto after = consistent_hash::bucket(key, n + 1);
      if (before != after) {
        ++moved;
        if (after != n)
          ++moved_elsewhere;
      }
    }
    INFO("growing from " << n << " to " << n + 1 << " workers");
    CHECK(moved_elsewhere == 0);
    // The new worker takes about 1/(n+1) of the keys: never none, never
    // more than twice its share.
    CHECK(moved > 0);
    CHECK(static_cast<double>(moved)
          < 2.0 * static_cast<double>(keys.size()) / static_cast<double>(n + 1));
  }
}

TEST_CASE("consistent_hash reports its kind and does not fan out") {
  consistent_hash policy;
  CHECK(policy.kind() == policy_kind::consistent_hash);
  CHECK_FALSE(policy.fan_out());
}
