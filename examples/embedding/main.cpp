// A CAF application that embeds the router: it registers one route of every
// handler form, calls each of them from an actor, and prints what it sends
// and what comes back.

#include <atomic>
#include <iostream>
#include <string>

#include <caf/actor_ostream.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/detail/scope_guard.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>

#include "switchboard/switchboard.hpp"

using namespace switchboard;

namespace {

using done_atom = caf::atom_constant<caf::atom("done")>;

/// Adds the example routes; returns false (after printing why) on error.
/// `adder` is an existing actor that becomes the member of a route.
bool add_routes(router& sb, const caf::actor& adder) {
  auto check = [](const char* what, const caf::error& err) {
    if (err)
      std::cerr << "cannot add " << what << ": " << describe(err) << "\n";
    return !err;
  };
  core::route_options two_workers;
  two_workers.workers = 2;
  // 1. A plain lambda.
  if (!check("upper", sb.add("upper", [](std::string s) {
        for (auto& c : s)
          c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return s;
      })))
    return false;
  // 2. An asynchronous handler that calls another route before replying.
  auto ref = sb.ref();
  if (!check("shout", sb.add("shout", [ref](responder<std::string> r,
                                              std::string s) {
        ref.call(r.self(), "upper", s)
          .then([r](std::string up) mutable { r.deliver(up + "!"); },
                [r](caf::error& err) mutable { r.deliver(err); });
      })))
    return false;
  // 3. Per-worker state: each worker counts the calls it served.
  if (!check("count", sb.add("count", per_worker([] {
                               return [n = int32_t{0}]() mutable { return ++n; };
                             }),
                             two_workers)))
    return false;
  // 4. An existing actor as the member of a route.
  if (!check("add", sb.add("add", actors({adder}))))
    return false;
  return true;
}

} // namespace

int main() {
  caf::actor_system_config cfg;
  register_error_category(cfg);
  caf::actor_system sys{cfg};
  router sb{sys};
  // The application owns this actor; the route only borrows it.
  auto adder = sys.spawn([]() -> caf::behavior {
    return {[](int32_t x, int32_t y) { return x + y; }};
  });
  auto stop_adder = caf::detail::make_scope_guard(
    [&] { caf::anon_send_exit(adder, caf::exit_reason::user_shutdown); });
  if (!add_routes(sb, adder))
    return 1;
  auto handle = sb.resolve("upper");
  if (!handle) {
    std::cerr << describe(handle.error()) << "\n";
    return 1;
  }
  caf::scoped_actor main_actor{sys};
  auto ref = sb.ref();
  auto waiter = caf::actor{main_actor};
  sys.spawn([ref, waiter, h = *handle](caf::event_based_actor* self) mutable {
    auto pending = std::make_shared<int>(6);
    auto answered = [self, waiter, pending] {
      if (--*pending == 0) {
        self->send(waiter, done_atom::value);
        self->quit();
      }
    };
    auto print_error = [self, answered](const char* call) {
      return [self, answered, call](caf::error& err) {
        caf::aout(self) << call << " -> error: " << describe(err) << "\n";
        answered();
      };
    };
    caf::aout(self) << "call upper(\"hello\")\n";
    ref.call(self, "upper", std::string{"hello"})
      .then(
        [self, answered](std::string s) {
          caf::aout(self) << "upper -> " << s << "\n";
          answered();
        },
        print_error("upper"));
    caf::aout(self) << "call shout(\"router\")\n";
    ref.call(self, "shout", std::string{"router"})
      .then(
        [self, answered](std::string s) {
          caf::aout(self) << "shout -> " << s << "\n";
          answered();
        },
        print_error("shout"));
    for (int i = 0; i < 2; ++i) {
      caf::aout(self) << "call count()\n";
      ref.call(self, "count")
        .then(
          [self, answered](int32_t n) {
            caf::aout(self) << "count -> " << n << "\n";
            answered();
          },
          print_error("count"));
    }
    caf::aout(self) << "call add(40, 2)\n";
    ref.call(self, "add", int32_t{40}, int32_t{2})
      .then(
        [self, answered](int32_t n) {
          caf::aout(self) << "add -> " << n << "\n";
          answered();
        },
        print_error("add"));
    caf::aout(self) << "call upper(\"handle\") through a resolved handle\n";
    h.call(self, std::string{"handle"})
      .then(
        [self, answered](std::string s) {
          caf::aout(self) << "upper (handle) -> " << s << "\n";
          answered();
        },
        print_error("upper (handle)"));
    return caf::behavior{[](int32_t) {}};
  });
  main_actor->receive([](done_atom) {});
  std::cout << "all calls answered" << std::endl;
  return 0;
}
