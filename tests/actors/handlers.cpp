#include <catch2/catch.hpp>

#include <algorithm>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

int32_t triple(int32_t x) {
  return 3 * x;
}

} // namespace

TEST_CASE("a plain function is a handler") {
  fixture f;
  REQUIRE(!f.add("triple", make_handler(&triple)));
  auto res = f.call("triple", caf::make_message(int32_t{5}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 15);
}

TEST_CASE("a handler without arguments or result answers an empty reply") {
  fixture f;
  auto count = std::make_shared<int>(0);
  REQUIRE(!f.add("ping", [count] { ++*count; }));
  auto res = f.call("ping", caf::message{});
  f.run();
  REQUIRE(res->ok());
  CHECK(res->value->empty());
  CHECK(*count == 1);
}

TEST_CASE("a handler returning caf::expected answers its error as the error") {
  fixture f;
  REQUIRE(!f.add("half", [](int32_t x) -> caf::expected<int32_t> {
    if (x % 2 != 0)
      return make_error(error_code::bad_request, "odd");
    return x / 2;
  }));
  auto good = f.call("half", caf::make_message(int32_t{8}));
  auto bad = f.call("half", caf::make_message(int32_t{7}));
  f.run();
  CHECK(good->as<int32_t>() == 4);
  CHECK(bad->code() == error_code::bad_request);
}

TEST_CASE("an asynchronous handler replies later through its responder") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<std::string>>>();
  REQUIRE(!f.add("later", [held](responder<std::string> r, std::string x) {
    held->push_back(r);
    static_cast<void>(x);
  }));
  auto res = f.call("later", caf::make_message(std::string{"x"}));
  f.run();
  REQUIRE(held->size() == 1);
  CHECK(res->replies == 0);
  (*held)[0].deliver(std::string{"done"});
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<std::string>() == "done");
  // A second delivery is ignored: the caller got exactly one reply.
  (*held)[0].deliver(std::string{"again"});
  f.run();
  CHECK(res->replies == 1);
}

TEST_CASE("an asynchronous handler can call another route before replying") {
  fixture f;
  auto ref = f.sb->ref();
  REQUIRE(!f.add("inc", [](int32_t x) { return x + 1; }));
  REQUIRE(!f.add("inc_twice", [ref](responder<int32_t> r, int32_t x) {
    auto self = r.self();
    ref.call(self, "inc", x).then(
      [ref, r, self](int32_t y) mutable {
        ref.call(self, "inc", y).then([r](int32_t z) mutable { r.deliver(z); },
                                      [r](caf::error& e) mutable {
                                        r.deliver(std::move(e));
                                      });
      },
      [r](caf::error& e) mutable { r.deliver(std::move(e)); });
  }));
  auto res = f.call("inc_twice", caf::make_message(int32_t{40}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 42);
}

TEST_CASE("per_worker gives each worker its own state") {
  fixture f;
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("count", per_worker([] {
                   return [n = int32_t{0}]() mutable { return ++n; };
                 }),
                 opts));
  std::vector<outcome_ptr> results;
  for (int i = 0; i < 4; ++i) {
    results.push_back(f.call("count", caf::message{}));
    f.run();
  }
  // Round robin over two workers, each counting on its own.
  CHECK(results[0]->as<int32_t>() == 1);
  CHECK(results[1]->as<int32_t>() == 1);
  CHECK(results[2]->as<int32_t>() == 2);
  CHECK(results[3]->as<int32_t>() == 2);
}

TEST_CASE("a behavior factory runs once per worker and keeps its state") {
  fixture f;
  auto made = std::make_shared<int>(0);
  core::route_options opts;
  opts.workers = 2;
  REQUIRE(!f.add("acc",
                 behavior_factory([made](caf::event_based_actor*) {
                   ++*made;
                   auto sum = std::make_shared<int32_t>(0);
                   return caf::behavior{
                     [sum](int32_t x) { return *sum += x; },
                   };
                 }),
                 opts));
  std::vector<outcome_ptr> results;
  for (int i = 1; i <= 4; ++i) {
    results.push_back(f.call("acc", caf::make_message(int32_t{i})));
    f.run();
  }
  CHECK(*made == 2);
  CHECK(results[0]->as<int32_t>() == 1);
  CHECK(results[1]->as<int32_t>() == 2);
  CHECK(results[2]->as<int32_t>() == 4);
  CHECK(results[3]->as<int32_t>() == 6);
  auto miss = f.call("acc", caf::make_message(std::string{"x"}));
  f.run();
  CHECK(miss->code() == error_code::bad_request);
}

TEST_CASE("existing actors can be the members of a route") {
  fixture f;
  auto member = [](int32_t id) {
    return [id]() -> caf::behavior {
      return {[id](int32_t x) { return x * 10 + id; }};
    };
  };
  auto a = f.sys->spawn(member(1));
  auto b = f.sys->spawn(member(2));
  REQUIRE(!f.add("members", actors({a, b})));
  auto r1 = f.call("members", caf::make_message(int32_t{4}));
  f.run();
  auto r2 = f.call("members", caf::make_message(int32_t{4}));
  f.run();
  REQUIRE(r1->ok());
  REQUIRE(r2->ok());
  CHECK(r1->as<int32_t>() == 41);
  CHECK(r2->as<int32_t>() == 42);
  auto routes = f.list();
  REQUIRE(routes.size() == 1);
  CHECK(routes[0].workers == 2);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(b, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("arguments that do not match the handler get bad_request naming both signatures") {
  fixture f;
  REQUIRE(!f.add("add", [](int32_t x, int32_t y) { return x + y; }));
  auto res = f.call("add", caf::make_message(std::string{"one"}));
  f.run();
  REQUIRE(res->replies == 1);
  REQUIRE(res->code() == error_code::bad_request);
  auto text = message_of(*res->error);
  CHECK(text.find("'add'") != std::string::npos);
  CHECK(text.find("(int32_t, int32_t)") != std::string::npos);
  CHECK(text.find("(std::string)") != std::string::npos);
}

TEST_CASE("a reply that does not fit the caller's continuation is a bad_request") {
  fixture f;
  REQUIRE(!f.add("word", [](int32_t) { return std::string{"w"}; }));
  auto out = std::make_shared<outcome>();
  auto ref = f.sb->ref();
  f.sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    ref.call(self, "word", int32_t{1})
      .then([=](int32_t) { ++out->replies; },
            [=](caf::error& e) {
              out->error = e;
              ++out->replies;
              self->quit();
            });
    return {[](int32_t) {}};
  });
  f.run();
  REQUIRE(out->replies == 1);
  CHECK(out->code() == error_code::bad_request);
}

TEST_CASE("a member actor that cannot handle the arguments answers bad_request") {
  fixture f;
  auto member = f.sys->spawn([]() -> caf::behavior {
    return {[](int32_t x) { return x; }};
  });
  REQUIRE(!f.add("m", actors({member})));
  auto res = f.call("m", caf::make_message(std::string{"not an int"}));
  f.run();
  REQUIRE(res->replies == 1);
  CHECK(res->code() == error_code::bad_request);
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
  f.run();
}

TEST_CASE("a handler's own monitors do not stop its worker") {
  fixture f;
  auto watched = f.sys->spawn([]() -> caf::behavior {
    return {[](int32_t) {}};
  });
  REQUIRE(!f.add("watcher", [watched](responder<int32_t> r, int32_t x) {
    r.self()->monitor(watched);
    r.deliver(x);
  }));
  auto first = f.call("watcher", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(first->ok());
  caf::anon_send_exit(watched, caf::exit_reason::kill);
  f.run();
  CHECK(f.list()[0].restarts == 0);
  auto second = f.call("watcher", caf::make_message(int32_t{2}));
  f.run();
  CHECK(second->as<int32_t>() == 2);
}

namespace {

/// An invoker that takes the reply over and still returns a value.
class defer_and_return final : public invoker {
public:
  invoke_result invoke(handler_context& ctx, const caf::message&) override {
    reply_ = ctx.defer();
    return caf::make_message(int32_t{7});
  }

private:
  deferred_reply reply_;
};

} // namespace

TEST_CASE("a custom invoker that defers and returns a value answers once") {
  fixture f;
  core::route_options opts;
  opts.timeout = std::chrono::milliseconds{100};
  REQUIRE(!f.add("odd",
                 handler{[] { return std::make_unique<defer_and_return>(); },
                         "custom"},
                 opts));
  auto res = f.call("odd", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(res->ok());
  CHECK(res->as<int32_t>() == 7);
  // The deferred entry is gone: no second reply at the deadline, and the
  // in-flight count did not go below zero.
  f.advance(std::chrono::milliseconds{200});
  CHECK(res->replies == 1);
  CHECK(f.list()[0].in_flight == 0);
}

TEST_CASE("a plain CAF request answered later by a responder gets the "
          "handler's result") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("later", [held](responder<int32_t> r, int32_t) {
    held->push_back(r);
  }));
  auto result = std::make_shared<int32_t>(0);
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self->request(registry, caf::infinite, call_atom::value,
                  std::string{"later"}, int32_t{1})
      .then([=](int32_t x) { *result = x; });
  });
  f.run();
  REQUIRE(held->size() == 1);
  CHECK(*result == 0);
  (*held)[0].deliver(int32_t{42});
  f.run();
  CHECK(*result == 42);
}

TEST_CASE("a responder's self is the worker that runs its handler") {
  fixture f;
  auto seen = std::make_shared<std::vector<caf::actor>>();
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  REQUIRE(!f.add("who", [seen, held](responder<int32_t> r, int32_t) {
    seen->push_back(caf::actor_cast<caf::actor>(r.self()));
    held->push_back(r);
  }));
  auto res = f.call("who", caf::make_message(int32_t{1}));
  f.run();
  REQUIRE(seen->size() == 1);
  auto pool = f.workers("who");
  CHECK(std::find(pool.begin(), pool.end(), (*seen)[0]) != pool.end());
  // It stays the worker after the reply went out.
  (*held)[0].deliver(int32_t{7});
  f.run();
  CHECK(res->ok());
  CHECK(caf::actor_cast<caf::actor>((*held)[0].self()) == (*seen)[0]);
}
