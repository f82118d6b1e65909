#include <catch2/catch.hpp>

#include <caf/detail/simple_actor_clock.hpp>
#include <caf/send.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

/// Runs every job but the registry: calls pile up in its mailbox.
void run_all_but(fixture& f, const caf::actor& registry) {
  auto reg = dynamic_cast<caf::resumable*>(
    caf::actor_cast<caf::abstract_actor*>(registry));
  f.sched->run_jobs_filtered([reg](caf::resumable* x) { return x != reg; });
}

} // namespace

TEST_CASE("calls queued at the registry when the router is destroyed get "
          "shutting_down at once") {
  fixture f;
  REQUIRE(!f.add("echo", [](std::string x) { return x; }));
  auto registry = f.sb->registry();
  constexpr int n = 20;
  // Library calls (envelopes) by a name the directory does not hold: only
  // those go through the registry (a local route's go to its workers)...
  std::vector<outcome_ptr> calls;
  for (int i = 0; i < n; ++i)
    calls.push_back(f.call("later", caf::make_message(std::string{"x"})));
  // ...and plain CAF requests (sb_call).
  auto plain = std::make_shared<std::vector<caf::error>>();
  for (int i = 0; i < n; ++i)
    f.sys->spawn([=](caf::event_based_actor* self) {
      self
        ->request(registry, caf::infinite, call_atom::value,
                  std::string{"echo"}, std::string{"x"})
        .then([=](std::string&) { plain->push_back(caf::error{}); },
              [=](caf::error& err) { plain->push_back(err); });
    });
  run_all_but(f, registry);
  for (auto& c : calls)
    REQUIRE(c->replies == 0);
  REQUIRE(plain->empty());
  f.sb.reset();
  f.run(); // No clock advance: only an answer at once counts.
  for (auto& c : calls) {
    REQUIRE(c->replies == 1);
    INFO(describe(*c->error));
    CHECK(c->code() == error_code::shutting_down);
  }
  REQUIRE(plain->size() == n);
  for (auto& err : *plain) {
    INFO(describe(err));
    CHECK(code_of(err) == error_code::shutting_down);
  }
}

TEST_CASE(
  "calls queued at a registry that is killed get shutting_down at once") {
  fixture f;
  REQUIRE(!f.add("echo", [](std::string x) { return x; }));
  auto registry = f.sb->registry();
  // By a name the directory does not hold: the registry answers those.
  std::vector<outcome_ptr> calls;
  for (int i = 0; i < 10; ++i)
    calls.push_back(f.call("later", caf::make_message(std::string{"x"})));
  run_all_but(f, registry);
  // Urgent, as a kill from a supervisor would be: ahead of the calls.
  registry->enqueue(nullptr, caf::make_message_id(caf::message_priority::high),
                    caf::make_message(caf::exit_msg{registry.address(),
                                                    caf::exit_reason::kill}),
                    nullptr);
  f.run();
  for (auto& c : calls) {
    REQUIRE(c->replies == 1);
    CHECK(c->code() == error_code::shutting_down);
  }
}

TEST_CASE(
  "a call by name after the registry stopped gets shutting_down at once") {
  fixture f;
  REQUIRE(!f.add("echo", [](std::string x) { return x; }));
  caf::anon_send_exit(f.sb->registry(), caf::exit_reason::user_shutdown);
  f.run();
  auto out = f.call("echo", caf::make_message(std::string{"x"}));
  f.run();
  REQUIRE(out->replies == 1);
  CHECK(out->code() == error_code::shutting_down);
}

TEST_CASE("an actors route asks its member under the call's deadline, not "
          "without a limit") {
  fixture f;
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  auto member
    = f.sys->spawn([held](caf::event_based_actor* self) -> caf::behavior {
        return {[self, held](std::string&) {
          held->push_back(self->make_response_promise());
          return caf::delegated<std::string>{};
        }};
      });
  core::route_options opts;
  opts.timeout = std::chrono::seconds{1};
  REQUIRE(!f.add("silent", actors({member}), opts));
  auto worker
    = caf::actor_cast<caf::strong_actor_ptr>(f.workers("silent").at(0));
  auto sent = f.sched->clock().now();
  auto res = f.call("silent", caf::make_message(std::string{"x"}));
  f.run();
  REQUIRE(held->size() == 1);
  CHECK(res->replies == 0);
  // The worker's request to the member carries a CAF timeout at the
  // call's deadline (an infinite request schedules none and would keep its
  // entry in the worker for as long as the member stays silent).
  using clk = caf::detail::simple_actor_clock;
  std::vector<caf::actor_clock::time_point> dues;
  for (auto& entry : f.sched->clock().schedule())
    if (entry.second->subtype == clk::request_timeout_type) {
      auto& rt = static_cast<const clk::request_timeout&>(*entry.second);
      if (rt.self == worker)
        dues.push_back(rt.due);
    }
  REQUIRE(dues.size() == 1);
  CHECK(dues[0] <= sent + std::chrono::seconds{1});
  f.advance(std::chrono::seconds{2});
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::timeout);
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
}
