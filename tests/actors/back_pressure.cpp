#include <catch2/catch.hpp>

#include "fixture.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("calls above max_in_flight get overloaded at once") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.max_in_flight = 2;
  opts.workers = 2;
  REQUIRE(!f.add("tight",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  auto a = f.call("tight", caf::make_message(int32_t{1}));
  auto b = f.call("tight", caf::make_message(int32_t{2}));
  f.run();
  auto c = f.call("tight", caf::make_message(int32_t{3}));
  f.run();
  REQUIRE(c->replies == 1);
  CHECK(c->code() == error_code::overloaded);
  CHECK(message_of(*c->error).find("'tight'") != std::string::npos);
  CHECK(held->size() == 2);
  CHECK(f.list()[0].in_flight == 2);
  // Capacity returns as soon as requests are answered.
  for (auto& r : *held)
    r.deliver(0);
  f.run();
  CHECK(a->ok());
  CHECK(b->ok());
  auto d = f.call("tight", caf::make_message(int32_t{4}));
  f.run();
  CHECK(d->replies == 0);
  CHECK(held->size() == 3);
  held->back().deliver(4);
  f.run();
  CHECK(d->as<int32_t>() == 4);
}

TEST_CASE("max_in_flight also bounds calls through a handle") {
  fixture f;
  auto held = std::make_shared<std::vector<responder<int32_t>>>();
  core::route_options opts;
  opts.max_in_flight = 1;
  REQUIRE(!f.add("one",
                 [held](responder<int32_t> r, int32_t) { held->push_back(r); },
                 opts));
  auto handle = f.sb->resolve("one");
  REQUIRE(handle);
  auto a = f.call(*handle, caf::make_message(int32_t{1}));
  auto b = f.call(*handle, caf::make_message(int32_t{2}));
  f.run();
  CHECK(a->replies == 0);
  REQUIRE(b->replies == 1);
  CHECK(b->code() == error_code::overloaded);
  CHECK(held->size() == 1);
  held->front().deliver(1);
  f.run();
  CHECK(a->ok());
}

TEST_CASE("one caller with many calls in flight gets every reply exactly once") {
  fixture f;
  core::route_options opts;
  opts.workers = 4;
  opts.max_in_flight = 100000;
  REQUIRE(!f.add("id", [](int32_t x) { return x; }, opts));
  constexpr int32_t n = 20000;
  auto sum = std::make_shared<int64_t>(0);
  auto replies = std::make_shared<int32_t>(0);
  auto ref = f.sb->ref();
  f.sys->spawn([=](caf::event_based_actor* self) -> caf::behavior {
    for (int32_t i = 0; i < n; ++i)
      ref.call(self, "id", i).then(
        [=](int32_t x) {
          *sum += x;
          if (++*replies == n)
            self->quit();
        },
        [=](caf::error&) { ++*replies; });
    return {[](int32_t) {}};
  });
  f.run();
  CHECK(*replies == n);
  CHECK(*sum == int64_t{n} * (n - 1) / 2);
  CHECK(f.list()[0].in_flight == 0);
}
