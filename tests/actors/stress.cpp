// Real threads, real scheduler: many callers by name and by handle while
// workers are killed and the route is replaced. Bounded in time; asserts
// that every call got exactly one reply and that nothing stays counted.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <random>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "switchboard/detail/route_state.hpp"
#include "switchboard/switchboard.hpp"

using namespace switchboard;
using namespace std::chrono_literals;

namespace {

using done_atom = caf::atom_constant<caf::atom("t_done")>;
using chaos_atom = caf::atom_constant<caf::atom("t_chaos")>;

struct tally {
  std::atomic<int64_t> values{0};
  std::atomic<int64_t> errors{0};
  std::atomic<int64_t> duplicates{0};
  std::atomic<int64_t> unexpected{0};
  std::atomic<int64_t> timeouts{0};
  std::atomic<int64_t> kills{0};
  std::atomic<int64_t> worker_downs{0};
  /// Calls issued in all.
  std::atomic<int64_t> issued{0};
  /// Set by the chaos actor once it killed and replaced enough: callers
  /// go on past their minimum until then.
  std::atomic<bool> chaos_enough{false};
};

/// An asynchronous handler that throws for x % 7 == 1.
handler mixed_handler(router_ref ref) {
  return make_handler([ref](responder<int32_t> r, int32_t x) {
    if (x % 7 == 1)
      throw std::runtime_error("seven");
    r.deliver(x);
  });
}

} // namespace

TEST_CASE("under concurrent calls, kills and replacements every call gets "
          "exactly one reply",
          "[threads]") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 2);
  register_error_category(cfg);
  caf::actor_system sys{cfg};
  auto t = std::make_shared<tally>();
  {
    router sb{sys};
    core::route_options opts;
    opts.workers = 4;
    opts.max_restarts = 1000;
    opts.max_in_flight = 100000;
    opts.timeout = 10s;
    REQUIRE(!sb.add("s", mixed_handler(sb.ref()), opts));
    auto ref = sb.ref();
    constexpr int callers = 8;
    constexpr int32_t calls_each = 20000;
    constexpr int32_t window = 50;
    caf::scoped_actor main_actor{sys};
    auto waiter = caf::actor{main_actor};
    for (int c = 0; c < callers; ++c) {
      auto handle = *ref.resolve("s");
      sys.spawn([=](caf::event_based_actor* self) mutable {
        auto seen = std::make_shared<std::vector<uint8_t>>();
        auto next = std::make_shared<int32_t>(0);
        auto answered = std::make_shared<int32_t>(0);
        auto issue = std::make_shared<std::function<void()>>();
        self->attach_functor([issue] { *issue = nullptr; });
        *issue = [=]() mutable {
          // At least `calls_each`, and on until the chaos did its share.
          if (*next >= calls_each && t->chaos_enough)
            return;
          auto i = (*next)++;
          seen->push_back(0);
          ++t->issued;
          auto on_reply = [=](bool ok, const caf::error* err) {
            if ((*seen)[static_cast<size_t>(i)]++ != 0)
              ++t->duplicates;
            if (ok) {
              ++t->values;
            } else {
              ++t->errors;
              auto code = code_of(*err);
              if (code == error_code::timeout)
                ++t->timeouts;
              if (code == error_code::worker_down)
                ++t->worker_downs;
              if (!code
                  || (*code != error_code::handler_failed
                      && *code != error_code::worker_down
                      && *code != error_code::timeout
                      && *code != error_code::no_such_route))
                ++t->unexpected;
            }
            if (++*answered == *next && *next >= calls_each
                && t->chaos_enough) {
              self->send(waiter, done_atom::value);
              self->quit();
              return;
            }
            (*issue)();
          };
          auto on_value = [=](int32_t) { on_reply(true, nullptr); };
          auto on_error = [=](caf::error& e) { on_reply(false, &e); };
          if (i % 2 == 0)
            ref.call(self, "s", i).then(on_value, on_error);
          else
            handle.call(self, i).then(on_value, on_error);
        };
        for (int32_t k = 0; k < window; ++k)
          (*issue)();
        return caf::behavior{[](int32_t) {}};
      });
    }
    // Chaos: kill a worker, and now and then replace the route, until the
    // callers are done.
    auto chaos = sys.spawn([=](caf::event_based_actor* self) {
      auto rounds = std::make_shared<int>(0);
      auto rng = std::make_shared<std::minstd_rand>(42);
      self->send(self, chaos_atom::value);
      return caf::behavior{
        [=](chaos_atom) {
          auto h = ref.resolve("s");
          if (h) {
            const detail::pool* p = nullptr;
            if (h->current(p) != nullptr && !p->workers.empty()) {
              auto& victim = p->workers[(*rng)() % p->workers.size()];
              caf::anon_send_exit(victim.handle, caf::exit_reason::kill);
              ++t->kills;
            }
          }
          // Asynchronously, as an actor must (router_ref's blocking
          // administration would hold this scheduler thread, and the
          // registry queued behind it, while the callers keep the other).
          if (++*rounds % 10 == 0)
            self->send(ref.registry(), replace_atom::value,
                       route_spec{"s", mixed_handler(ref), opts});
          // 25 kills and 3 replacements at least, whatever the callers'
          // pace (they go on until this is set).
          if (t->kills >= 25 && *rounds >= 30)
            t->chaos_enough = true;
          self->delayed_send(self, 1ms, chaos_atom::value);
        },
        [=](done_atom) { self->quit(); },
      };
    });
    int done = 0;
    bool timed_out = false;
    while (done < callers && !timed_out)
      main_actor->receive([&](done_atom) { ++done; },
                          caf::after(std::chrono::seconds{90}) >>
                            [&] { timed_out = true; });
    caf::anon_send(chaos, done_atom::value);
    REQUIRE(!timed_out);
    INFO("timeouts: " << t->timeouts.load() << ", kills: " << t->kills.load()
                       << ", worker_down replies: " << t->worker_downs.load());
    CHECK(t->kills >= 25);
    CHECK(t->timeouts == 0);
    CHECK(t->duplicates == 0);
    CHECK(t->unexpected == 0);
    CHECK(t->values + t->errors == t->issued);
    CHECK(t->issued >= int64_t{callers} * calls_each);
    CHECK(t->values > 0);
    // Nothing stays counted once every reply came back.
    auto routes = sb.list();
    REQUIRE(routes);
    REQUIRE(routes->size() == 1);
    CHECK((*routes)[0].in_flight == 0);
    CHECK((*routes)[0].workers == 4);
  }
}
