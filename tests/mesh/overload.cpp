// Overload through the mesh: a burst of 100 x a link's capacity
// (`link_max_in_flight`) from one node to a route another node serves. The
// excess must be refused with `overloaded` on the calling node within 1 ms
// (it knows the serving node's limit), memory must stay bounded, and the
// route must serve at full rate across the link once the burst is over.

#include <catch2/catch.hpp>

#include <iostream>

#include "load/burst.hpp"
#include "load/rss.hpp"
#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

constexpr int64_t capacity = 100;
constexpr size_t burst_size = 100 * capacity;
/// Each refusal must reach its caller this soon after the call was issued:
/// the calling node refuses it, nothing crosses the network.
constexpr auto refusal_bound
  = std::chrono::milliseconds{1} * sanitizer_slowdown;
/// A shared 2-core machine preempts a caller now and then for a few ms:
/// 99 % of the refusals must meet the bound, every one this.
constexpr auto refusal_ceiling
  = std::chrono::milliseconds{20} * sanitizer_slowdown;
/// Both nodes run in this process: resident memory may grow this much.
constexpr uint64_t rss_bound_kib = 64 * 1024;
constexpr double rate_factor = 3.0;

} // namespace

TEST_CASE("a burst of 100 x link_max_in_flight through the mesh gets "
          "overloaded on the calling node for exactly the excess within 1 ms "
          "each and the link then serves at full rate") {
  mesh_options opts;
  opts.link_max_in_flight = capacity;
  mesh_node a{"A"}, b{"B", opts};
  auto g = std::make_shared<gate>();
  core::route_options ropts;
  ropts.workers = 4;
  ropts.timeout = 30s; // max_in_flight stays 10000: the link's limit binds
  REQUIRE(b.sb->add("gated", gate::make(g), ropts) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("gated", 10s));
  auto ref = a.sb->ref();
  auto by_name = [ref]() -> issue_fn {
    return [ref](caf::event_based_actor* self, int32_t x) {
      return ref.call(self, "gated", x);
    };
  };
  auto before = best_batch(*a.sys, by_name, 20000, capacity, 60s);
  REQUIRE(before.right == 20000);
  auto x = run_gated_burst(*a.sys, *g, burst_size, capacity, by_name);
  // Full rate again with the whole limit usable: a slot the burst leaked
  // on A would refuse part of this window.
  auto after = best_batch(*a.sys, by_name, 20000, capacity, 60s);
  std::cout << "overload (mesh): "
            << describe_burst("link", burst_size, capacity, x)
            << "; rate before " << static_cast<long>(before.per_second)
            << "/s, after " << static_cast<long>(after.per_second) << "/s"
            << std::endl;
  CHECK(x.overloaded == burst_size - capacity);
  CHECK(x.values == static_cast<size_t>(capacity));
  CHECK(x.p99 <= refusal_bound);
  CHECK(x.slowest <= refusal_ceiling);
  CHECK(x.rss_burst_kib <= x.rss_before_kib + rss_bound_kib);
  CHECK(after.right == 20000);
  CHECK(after.per_second * rate_factor >= before.per_second);
}
