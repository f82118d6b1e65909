#include <catch2/catch.hpp>

// What calling a route leaves of the calling actor's own default handler:
// the library takes its replies and ticks first and passes every other
// unmatched message on to the handler the actor had.

#include <algorithm>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/send.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

struct seen {
  std::vector<int32_t> values;
  std::vector<std::string> unmatched;
};

using seen_ptr = std::shared_ptr<seen>;

/// Gives `self` a default handler of its own that notes what reaches it.
void record_unmatched(caf::event_based_actor* self, seen_ptr s) {
  self->set_default_handler(
    [s](caf::scheduled_actor*,
        caf::message_view& x) -> caf::result<caf::message> {
      s->unmatched.push_back(caf::to_string(x.content()));
      return caf::message{};
    });
}

} // namespace

TEST_CASE("an actor's own default handler still gets its unmatched "
          "messages after it calls routes, and the calls get their replies") {
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto s = std::make_shared<seen>();
  auto ref = f.sb->ref();
  auto caller = f.sys->spawn([=](caf::event_based_actor* self) {
    record_unmatched(self, s);
    for (int32_t i = 1; i <= 3; ++i)
      ref.call(self, "sq", i)
        .then([s](int32_t y) { s->values.push_back(y); }, [](caf::error&) {});
    return caf::behavior{[](int8_t) {}};
  });
  f.run();
  caf::anon_send(caller, std::string{"for the user"});
  f.run();
  CHECK(s->values == std::vector<int32_t>{1, 4, 9});
  REQUIRE(s->unmatched.size() == 1);
  CHECK(s->unmatched[0].find("for the user") != std::string::npos);
  // Later calls find the same state through the handler.
  caf::anon_send(caller, std::string{"again"});
  f.run();
  CHECK(s->unmatched.size() == 2);
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("an actor that skips unmatched messages keeps them for a later "
          "behavior while its calls get their replies") {
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto s = std::make_shared<seen>();
  auto ref = f.sb->ref();
  auto caller = f.sys->spawn([=](caf::event_based_actor* self) {
    self->set_default_handler(caf::skip);
    ref.call(self, "sq", int32_t{5})
      .then(
        [s, self](int32_t y) {
          s->values.push_back(y);
          // Now take what was skipped.
          self->become(
            [s](const std::string& x) { s->unmatched.push_back(x); });
        },
        [](caf::error&) {});
    return caf::behavior{[](int8_t) {}};
  });
  caf::anon_send(caller, std::string{"kept"});
  f.run();
  CHECK(s->values == std::vector<int32_t>{25});
  CHECK(s->unmatched == std::vector<std::string>{"kept"});
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("calls made from a reply's continuation are answered like the "
          "first, and a user's default handler keeps working meanwhile") {
  // CAF moves the default handler out of the actor while it runs it (the
  // continuation runs inside it): a call from there must still find the
  // actor's calls in flight.
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto s = std::make_shared<seen>();
  auto ref = f.sb->ref();
  auto caller = f.sys->spawn([=](caf::event_based_actor* self) {
    record_unmatched(self, s);
    auto next = std::make_shared<std::function<void(int32_t)>>();
    *next = [=](int32_t i) {
      // Two in flight at each step: the earlier one must not be lost.
      ref.call(self, "sq", i)
        .then(
          [=](int32_t y) {
            s->values.push_back(y);
            if (i < 5)
              (*next)(i + 1);
            else
              *next = nullptr;
          },
          [](caf::error&) {});
    };
    (*next)(1);
    ref.call(self, "sq", int32_t{10})
      .then([s](int32_t y) { s->values.push_back(y); }, [](caf::error&) {});
    return caf::behavior{[](int8_t) {}};
  });
  f.run();
  std::sort(s->values.begin(), s->values.end());
  CHECK(s->values == std::vector<int32_t>{1, 4, 9, 16, 25, 100});
  caf::anon_send(caller, std::string{"still mine"});
  f.run();
  CHECK(s->unmatched.size() == 1);
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("a call made from the actor's own default handler is answered") {
  // The library's handler runs the user's for messages that are not
  // replies: a call made there must find the actor's state although CAF
  // has moved the handler out of the actor meanwhile.
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto s = std::make_shared<seen>();
  auto ref = f.sb->ref();
  auto caller = f.sys->spawn([=](caf::event_based_actor* self) {
    self->set_default_handler(
      [=](caf::scheduled_actor*,
          caf::message_view& x) -> caf::result<caf::message> {
        s->unmatched.push_back(caf::to_string(x.content()));
        ref.call(self, "sq", static_cast<int32_t>(s->unmatched.size()))
          .then([s](int32_t y) { s->values.push_back(y); },
                [](caf::error&) {});
        return caf::message{};
      });
    ref.call(self, "sq", int32_t{7})
      .then([s](int32_t y) { s->values.push_back(y); }, [](caf::error&) {});
    return caf::behavior{[](int8_t) {}};
  });
  f.run();
  caf::anon_send(caller, std::string{"first"});
  f.run();
  caf::anon_send(caller, std::string{"second"});
  f.run();
  CHECK(s->unmatched.size() == 2);
  CHECK(s->values == std::vector<int32_t>{49, 1, 4});
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("a caller that quit after its last reply is destroyed while the "
          "route's workers live on") {
  // Regression: a worker kept its last caller's reference until its next
  // request. A caller holding the route's handle (and so the worker) then
  // formed a cycle that outlived both.
  fixture f;
  REQUIRE(!f.add("sq", [](int32_t x) { return x * x; }));
  auto handle = f.sb->resolve("sq");
  REQUIRE(handle);
  auto s = std::make_shared<seen>();
  auto caller = f.sys->spawn([=](caf::event_based_actor* self) mutable {
    handle->call(self, int32_t{3})
      .then(
        [s, self](int32_t y) {
          s->values.push_back(y);
          self->quit();
        },
        [self](caf::error&) { self->quit(); });
    return caf::behavior{[](int8_t) {}};
  });
  auto addr = caf::actor_cast<caf::actor_addr>(caller);
  caller = nullptr;
  f.run();
  CHECK(s->values == std::vector<int32_t>{9});
  // The caller's deadline tick holds it until it fires.
  f.advance(10min);
  // No strong reference left anywhere: the actor object is gone.
  CHECK(caf::actor_cast<caf::strong_actor_ptr>(addr) == nullptr);
  // The route still serves.
  auto again = std::make_shared<seen>();
  auto ref = f.sb->ref();
  f.sys->spawn([=](caf::event_based_actor* self) {
    ref.call(self, "sq", int32_t{4})
      .then([again](int32_t y) { again->values.push_back(y); },
            [](caf::error&) {});
    return caf::behavior{[](int8_t) {}};
  });
  f.run();
  CHECK(again->values == std::vector<int32_t>{16});
}
