#include <catch2/catch.hpp>

#include "switchboard/core/route_metrics.hpp"
#include "switchboard/core/worker_load.hpp"

using namespace switchboard::core;

TEST_CASE("bucket_of puts a latency in the first bucket whose bound holds it") {
  CHECK(bucket_of(0) == 0);
  CHECK(bucket_of(100'000) == 0);
  CHECK(bucket_of(100'001) == 1);
  CHECK(bucket_of(1'000'000) == 3);
  CHECK(bucket_of(10'000'000'000) == latency_bounds_ns.size() - 1);
  CHECK(bucket_of(10'000'000'001) == latency_bounds_ns.size());
  CHECK(bucket_of(INT64_MAX) == bucket_count - 1);
}

TEST_CASE("outcome names are ok and the error codes' names") {
  CHECK(outcome_name(outcome_ok) == "ok");
  CHECK(outcome_name(outcome_of(error_code::overloaded)) == "overloaded");
  CHECK(outcome_name(outcome_of(last_error_code)) == "forbidden");
  CHECK(outcome_name(outcome_count).empty());
}

TEST_CASE("quantiles interpolate within the bucket that holds their rank") {
  route_stats x;
  CHECK(x.quantile_ns(0.5) == 0);
  // 100 samples in (1 ms, 2.5 ms]: the median lies halfway through.
  x.buckets[bucket_of(2'000'000)] = 100;
  CHECK(x.quantile_ns(0.5) == 1'750'000);
  CHECK(x.quantile_ns(1.0) == 2'500'000);
  // One slow outlier beyond every bound: p100 reports the last bound.
  x.buckets[bucket_count - 1] = 1;
  CHECK(x.quantile_ns(1.0) == latency_bounds_ns.back());
  CHECK(x.quantile_ns(0.5) == 1'750'000 + 7'500);
}

TEST_CASE("a worker's counts add up into route stats") {
  worker_load w;
  w.count(outcome_ok, 50'000);
  w.count(outcome_ok, 3'000'000);
  w.count(outcome_of(error_code::timeout), -1);
  CHECK(w.completed() == 2);
  CHECK(w.failed() == 1);
  route_stats x;
  w.add_to(x);
  w.add_to(x);
  CHECK(x.requests() == 6);
  CHECK(x.errors() == 2);
  CHECK(x.timed() == 4);
  CHECK(x.latency_sum_ns == 2 * 3'050'000);
}
