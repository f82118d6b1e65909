#include <catch2/catch.hpp>

#include <atomic>

#include <caf/send.hpp>

#include "fixture.hpp"
#include "switchboard/detail/route_state.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// A route option set with a small payload limit.
core::route_options limited(uint64_t max_payload) {
  core::route_options opts;
  opts.max_payload = max_payload;
  return opts;
}

/// An invoker as hosts write them (exec, plugins): counts its runs.
class counting_invoker final : public invoker {
public:
  explicit counting_invoker(std::shared_ptr<int> runs)
    : runs_(std::move(runs)) {
    // nop
  }

  invoke_result invoke(handler_context&, const caf::message& args) override {
    ++*runs_;
    return args;
  }

private:
  std::shared_ptr<int> runs_;
};

void require_too_large(const outcome& res, const std::string& route) {
  REQUIRE(res.replies == 1);
  REQUIRE(res.code() == error_code::bad_request);
  auto text = message_of(*res.error);
  INFO(text);
  CHECK(text.find("'" + route + "'") != std::string::npos);
  CHECK(text.find("11 bytes") != std::string::npos);
  CHECK(text.find("max_payload (10 bytes)") != std::string::npos);
}

} // namespace

TEST_CASE("payload_size counts the bytes of strings and byte buffers and a "
          "fixed amount for other elements") {
  using detail::payload_overhead;
  using detail::payload_size;
  CHECK(payload_size(caf::message{}) == 0);
  CHECK(payload_size(caf::make_message(std::string(100, 'x'))) == 100);
  CHECK(payload_size(caf::make_message(std::vector<char>(7))) == 7);
  CHECK(payload_size(caf::make_message(std::vector<uint8_t>(9))) == 9);
  CHECK(payload_size(caf::make_message(std::u16string(3, u'x'))) == 6);
  CHECK(payload_size(caf::make_message(std::vector<std::string>{"ab", "cde"}))
        == 5);
  CHECK(payload_size(caf::make_message(int32_t{1}, std::string{"abc"}))
        == payload_overhead + 3);
  CHECK(payload_size(caf::make_message(caf::make_message(std::string(20, 'y'))))
        == 20);
}

TEST_CASE("a call larger than max_payload gets bad_request by name and by "
          "handle before the handler runs") {
  fixture f;
  auto runs = std::make_shared<int>(0);
  REQUIRE(!f.add(
    "echo",
    [runs](std::string x) {
      ++*runs;
      return x;
    },
    limited(10)));
  auto by_name = f.call("echo", caf::make_message(std::string(11, 'x')));
  auto handle = f.sb->resolve("echo");
  REQUIRE(handle);
  auto by_handle = f.call(*handle, caf::make_message(std::string(11, 'x')));
  auto fits = f.call("echo", caf::make_message(std::string(10, 'x')));
  f.run();
  require_too_large(*by_name, "echo");
  require_too_large(*by_handle, "echo");
  REQUIRE(fits->ok());
  CHECK(*runs == 1);
  // Refused calls were never counted in.
  CHECK(f.list().at(0).in_flight == 0);
}

TEST_CASE("a plain sb_call request larger than max_payload gets bad_request") {
  fixture f;
  auto runs = std::make_shared<int>(0);
  REQUIRE(!f.add(
    "echo",
    [runs](std::string x) {
      ++*runs;
      return x;
    },
    limited(10)));
  auto result = std::make_shared<std::optional<caf::error>>();
  auto registry = f.sb->registry();
  f.sys->spawn([=](caf::event_based_actor* self) {
    self
      ->request(registry, caf::infinite, call_atom::value, std::string{"echo"},
                std::string(11, 'x'))
      .then([=](std::string&) { *result = caf::error{}; },
            [=](caf::error& err) { *result = std::move(err); });
  });
  f.run();
  REQUIRE(*result);
  REQUIRE(code_of(**result) == error_code::bad_request);
  CHECK(message_of(**result).find("11 bytes") != std::string::npos);
  CHECK(*runs == 0);
}

TEST_CASE(
  "max_payload holds for host invokers, actors routes and broadcast routes") {
  fixture f;
  auto runs = std::make_shared<int>(0);
  REQUIRE(
    !f.add("host",
           handler{[runs] { return std::make_unique<counting_invoker>(runs); },
                   "plugin"},
           limited(10)));
  auto member_runs = std::make_shared<int>(0);
  auto member = f.sys->spawn([member_runs]() -> caf::behavior {
    return {[member_runs](std::string& x) {
      ++*member_runs;
      return x;
    }};
  });
  REQUIRE(!f.add("members", actors({member}), limited(10)));
  auto bc = limited(10);
  bc.policy = core::policy_kind::broadcast;
  bc.workers = 3;
  REQUIRE(!f.add(
    "fan",
    [runs](std::string x) {
      ++*runs;
      return x;
    },
    bc));
  auto big = caf::make_message(std::string(11, 'x'));
  auto a = f.call("host", big);
  auto b = f.call("members", big);
  auto c = f.call("fan", big);
  f.run();
  require_too_large(*a, "host");
  require_too_large(*b, "members");
  require_too_large(*c, "fan");
  CHECK(*runs == 0);
  CHECK(*member_runs == 0);
  caf::anon_send_exit(member, caf::exit_reason::user_shutdown);
}
