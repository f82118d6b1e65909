// Which CAF scheduler a system configured by `configure_mesh` runs: the
// sharing one unless the application chose (docs/mesh.md, "Which
// scheduler").
#include <catch2/catch.hpp>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/policy/work_stealing.hpp>
#include <caf/scheduler/coordinator.hpp>

#include "switchboard/mesh.hpp"

using namespace switchboard;

namespace {

/// The policy a system built from `cfg` reads (CAF's own fallback when the
/// config names none).
caf::atom_value policy_of(const caf::actor_system_config& cfg) {
  return caf::get_or(cfg, "scheduler.policy", caf::atom("stealing"));
}

/// Whether `sys` runs a coordinator of `Policy`.
template <class Policy>
bool runs(caf::actor_system& sys) {
  return dynamic_cast<caf::scheduler::coordinator<Policy>*>(&sys.scheduler())
         != nullptr;
}

} // namespace

TEST_CASE("configure_mesh selects the sharing scheduler when the "
          "application chose none") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  configure_mesh(cfg);
  CHECK(policy_of(cfg) == caf::atom("sharing"));
  caf::actor_system sys{cfg};
  CHECK(runs<caf::policy::work_sharing>(sys));
  CHECK(policy_of(sys.config()) == caf::atom("sharing"));
}

TEST_CASE("configure_mesh keeps a scheduler policy the application set "
          "before it") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  cfg.set("scheduler.policy", caf::atom("stealing"));
  configure_mesh(cfg);
  CHECK(policy_of(cfg) == caf::atom("stealing"));
  caf::actor_system sys{cfg};
  CHECK(runs<caf::policy::work_stealing>(sys));
}
