#include "switchboard/detail/caller_run.hpp"

#include <memory>
#include <mutex>
#include <unordered_map>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace switchboard::detail {

namespace {

/// Where the armed thread keeps what its call made runnable; null when
/// the thread is not between `caller_run`'s construction and `run_caught`.
thread_local caf::resumable** catch_slot = nullptr;

/// Catches the first job made runnable on an armed thread; hands every
/// other one to the scheduler (from any thread, as CAF's own units do).
class catching_unit final : public caf::execution_unit {
public:
  explicit catching_unit(caf::actor_system* sys) : execution_unit(sys) {
    // nop
  }

  void exec_later(caf::resumable* job) override {
    if (catch_slot != nullptr && *catch_slot == nullptr) {
      *catch_slot = job;
      return;
    }
    system().scheduler().enqueue(job);
  }
};

/// The unit of `sys`, made on first use and never freed: workers may keep
/// it as their context after a caller ran them. Keyed by address: a system
/// made where a destroyed one was shares its unit, which then refers to it.
catching_unit* unit_of(caf::actor_system& sys) {
  thread_local caf::actor_system* last_sys = nullptr;
  thread_local catching_unit* last_unit = nullptr;
  if (last_sys == &sys)
    return last_unit;
  static std::mutex mtx;
  static auto* units = new std::unordered_map<caf::actor_system*,
                                              std::unique_ptr<catching_unit>>;
  std::lock_guard<std::mutex> guard{mtx};
  auto& ptr = (*units)[&sys];
  if (!ptr)
    ptr = std::make_unique<catching_unit>(&sys);
  last_sys = &sys;
  last_unit = ptr.get();
  return last_unit;
}

} // namespace

caller_run::caller_run(caf::actor_system& sys) : unit_(unit_of(sys)) {
  catch_slot = &caught_;
}

caller_run::~caller_run() {
  run_caught(1);
}

void caller_run::run_caught(size_t throughput) {
  if (!armed_)
    return;
  armed_ = false;
  catch_slot = nullptr;
  auto job = caught_;
  if (job == nullptr)
    return;
  caught_ = nullptr;
  // As caf::scheduler::worker::run does with the reference the enqueue
  // took for the scheduler.
  switch (job->resume(unit_, throughput)) {
    case caf::resumable::resume_later:
      unit_->system().scheduler().enqueue(job);
      break;
    case caf::resumable::done:
    case caf::resumable::awaiting_message:
      intrusive_ptr_release(job);
      break;
    case caf::resumable::shutdown_execution_unit:
      // Only the scheduler's own shutdown job answers this.
      break;
  }
}

} // namespace switchboard::detail
