#pragma once

#include <caf/fwd.hpp>

namespace switchboard::detail {

/// Lets a thread that is about to wait for a reply run the worker its call
/// just made runnable, instead of waking a scheduler thread and sleeping
/// until the reply wakes it again (two thread switches per call).
///
/// Constructing one arms the calling thread; pass `unit()` as the execution
/// unit of the enqueue that may wake a worker (`deliver`). The first actor
/// made runnable through it on this thread is caught, not scheduled.
/// `run_caught` disarms the thread and runs what was caught, at most
/// `throughput` messages, then hands the actor back to the scheduler if
/// more wait, as a scheduler thread would. Anything else made runnable
/// through the unit, on any thread, goes to the scheduler. The unit
/// outlives every actor (a worker keeps it as its context until its next
/// run), so one per actor system serves every thread for the life of the
/// process.
///
/// Does not decide when this is safe: while the caught worker runs, the
/// caller's deadline cannot fire. Callers use it only for routes with
/// `route_options::caller_runs`.
class caller_run {
public:
  explicit caller_run(caf::actor_system& sys);

  caller_run(const caller_run&) = delete;
  caller_run& operator=(const caller_run&) = delete;

  /// Runs what was caught if `run_caught` did not.
  ~caller_run();

  /// The execution unit that catches the worker for this thread.
  caf::execution_unit* unit() const noexcept {
    return unit_;
  }

  /// Disarms this thread and runs the caught worker, if any.
  void run_caught(size_t throughput);

private:
  caf::execution_unit* unit_;
  caf::resumable* caught_ = nullptr;
  bool armed_ = true;
};

} // namespace switchboard::detail
