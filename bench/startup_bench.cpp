// startup_bench: how fast a router takes many routes at once, as a daemon
// does at startup and on reload.
//
//   batch  router::add_all: every route in one registry message, one
//          directory publish
//   each   router::add once per route (one publish each: quadratic)
//
// Prints routes per second for each count and the ratio batch/each where
// both ran. Each count runs on a fresh actor system; each route has one
// worker and a trivial handler.

#include <chrono>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "switchboard/switchboard.hpp"

namespace {

using clock_type = std::chrono::steady_clock;

std::vector<switchboard::route_spec> make_specs(size_t n) {
  std::vector<switchboard::route_spec> result;
  result.reserve(n);
  auto impl = switchboard::make_handler([](int32_t x) { return x; });
  for (size_t i = 0; i < n; ++i)
    result.push_back(
      switchboard::route_spec{"route-" + std::to_string(i), impl, {}});
  return result;
}

/// Routes per second; 0 if any add failed.
double run(size_t n, size_t threads, bool batch) {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", threads);
  caf::actor_system sys{cfg};
  switchboard::router sb{sys};
  auto specs = make_specs(n);
  auto start = clock_type::now();
  bool ok = true;
  if (batch) {
    for (auto& err : sb.add_all(std::move(specs)))
      ok = ok && !err;
  } else {
    for (auto& spec : specs)
      ok = ok && !sb.add(spec.name, spec.impl, spec.options);
  }
  std::chrono::duration<double> took = clock_type::now() - start;
  return ok ? static_cast<double>(n) / took.count() : 0.0;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"startup_bench: adding many routes at once"};
  bool quick = false;
  size_t threads = 2;
  app.add_flag("--quick", quick, "1k and 10k routes only; each: 1k only");
  app.add_option("--threads", threads, "scheduler threads");
  CLI11_PARSE(app, argc, argv);
  std::vector<size_t> counts{1000, 10000};
  if (!quick)
    counts.push_back(100000);
  size_t each_limit = quick ? 1000 : 10000;
  std::cout << std::setw(8) << "routes" << std::setw(16) << "batch routes/s"
            << std::setw(16) << "each routes/s" << std::setw(10) << "ratio"
            << '\n';
  for (auto n : counts) {
    auto batch = run(n, threads, true);
    std::cout << std::setw(8) << n << std::setw(16) << std::fixed
              << std::setprecision(0) << batch;
    if (n <= each_limit) {
      auto each = run(n, threads, false);
      std::cout << std::setw(16) << each << std::setw(9) << std::setprecision(1)
                << (each > 0 ? batch / each : 0.0) << 'x';
    } else {
      std::cout << std::setw(16) << "-" << std::setw(10) << "-";
    }
    std::cout << std::endl;
  }
  return 0;
}
