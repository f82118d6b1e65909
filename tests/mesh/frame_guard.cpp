#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <map>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/message.hpp>
#include <caf/message_builder.hpp>
#include <caf/node_id.hpp>
#include <caf/sec.hpp>

#include "switchboard/atoms.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/detail/frame_guard.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/error.hpp"
#include "switchboard/mesh.hpp"

using switchboard::detail::frame_guard;

namespace {

/// A BASP header with `operation` and `payload_len`; other fields zero.
std::vector<char> header(uint8_t operation, uint32_t payload_len) {
  std::vector<char> result(frame_guard::header_size, 0);
  result[0] = static_cast<char>(operation);
  result[4] = static_cast<char>((payload_len >> 24) & 0xFF);
  result[5] = static_cast<char>((payload_len >> 16) & 0xFF);
  result[6] = static_cast<char>((payload_len >> 8) & 0xFF);
  result[7] = static_cast<char>(payload_len & 0xFF);
  return result;
}

constexpr uint8_t direct_message = 0x02;

/// An actor system configured as a mesh node's (`configure_mesh`).
struct guard_system {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;

  guard_system() {
    cfg.set("scheduler.max-threads", 1);
    switchboard::configure_mesh(cfg, nullptr);
    sys.emplace(cfg);
  }

  /// `xs` as CAF writes it into a BASP payload.
  template <class... Ts>
  std::string payload(Ts&&... xs) {
    std::vector<char> buf;
    caf::binary_serializer sink{*sys, buf};
    if (auto err = sink(xs...))
      throw std::runtime_error(sys->render(err));
    return std::string{buf.begin(), buf.end()};
  }
};

/// Feeds `payload` as one direct message through a fresh guard, split after
/// `cut` bytes; returns the guard.
frame_guard guard_after(const std::string& payload, size_t cut) {
  frame_guard guard{1u << 20};
  auto hdr = header(direct_message, static_cast<uint32_t>(payload.size()));
  if (guard.consume(hdr.data(), hdr.size())
      && guard.consume(payload.data(), cut))
    static_cast<void>(
      guard.consume(payload.data() + cut, payload.size() - cut));
  return guard;
}

/// True if a guard accepts `payload` wherever the reads split it, and
/// `accepts_payload` says the same.
bool accepted_at_every_cut(const std::string& payload) {
  for (size_t cut = 0; cut <= payload.size(); ++cut)
    if (guard_after(payload, cut).refused() != frame_guard::refusal::none)
      return false;
  return frame_guard::accepts_payload(payload.data(), payload.size());
}

/// The name a guard refuses in `payload` at every split (empty if it
/// accepts it at some split).
std::string refused_at_every_cut(const std::string& payload) {
  std::string name;
  for (size_t cut = 0; cut <= payload.size(); ++cut) {
    auto guard = guard_after(payload, cut);
    if (guard.refused() != frame_guard::refusal::refused_type)
      return {};
    if (cut > 0 && guard.refused_type() != name)
      return {};
    name = guard.refused_type();
  }
  if (frame_guard::accepts_payload(payload.data(), payload.size()))
    return {};
  return name;
}

} // namespace

TEST_CASE("frame_guard refuses a header announcing more than max_frame") {
  frame_guard guard{1000};
  auto hdr = header(direct_message, 1001);
  CHECK_FALSE(guard.consume(hdr.data(), hdr.size()));
  CHECK(guard.refused() == frame_guard::refusal::oversized_frame);
  CHECK(guard.refused_size() == 1001);
  // Refused for good.
  auto next = header(direct_message, 1);
  CHECK_FALSE(guard.consume(next.data(), next.size()));
}

TEST_CASE("frame_guard accepts a frame of exactly max_frame bytes") {
  frame_guard guard{1000};
  auto hdr = header(direct_message, 1000);
  std::vector<char> payload(1000, 'x');
  CHECK(guard.consume(hdr.data(), hdr.size()));
  CHECK(guard.consume(payload.data(), payload.size()));
  auto next = header(direct_message, 4294967295u);
  CHECK_FALSE(guard.consume(next.data(), next.size()));
  CHECK(guard.refused_size() == 4294967295u);
}

TEST_CASE("frame_guard finds a header split across reads and inside one") {
  frame_guard guard{100};
  // One read holding a whole small frame and the first byte of the next
  // header, then the rest of that header byte by byte.
  auto first = header(direct_message, 3);
  first.insert(first.end(), {'a', 'b', 'c'});
  auto second = header(direct_message, 101);
  first.push_back(second[0]);
  REQUIRE(guard.consume(first.data(), first.size()));
  for (size_t i = 1; i + 1 < second.size(); ++i)
    REQUIRE(guard.consume(&second[i], 1));
  CHECK_FALSE(guard.consume(&second.back(), 1));
  CHECK(guard.refused() == frame_guard::refusal::oversized_frame);
}

TEST_CASE("frame_guard hands each complete handshake payload to its callback") {
  std::vector<std::string> seen;
  frame_guard guard{1000, [&](uint8_t op, const std::vector<char>& payload) {
                      seen.push_back(
                        std::to_string(op) + ":"
                        + std::string{payload.begin(), payload.end()});
                      return payload != std::vector<char>{'b', 'a', 'd'};
                    }};
  auto hs = header(frame_guard::client_handshake, 5);
  hs.insert(hs.end(), {'h', 'e', 'l', 'l', 'o'});
  // Split inside the payload.
  REQUIRE(guard.consume(hs.data(), 34));
  CHECK(seen.empty());
  REQUIRE(guard.consume(hs.data() + 34, hs.size() - 34));
  REQUIRE(seen == std::vector<std::string>{"1:hello"});
  // Other frames are not collected.
  auto msg = header(direct_message, 2);
  msg.insert(msg.end(), {'x', 'y'});
  REQUIRE(guard.consume(msg.data(), msg.size()));
  CHECK(seen.size() == 1);
  // A rejected handshake refuses the stream.
  auto bad = header(frame_guard::server_handshake, 3);
  bad.insert(bad.end(), {'b', 'a', 'd'});
  CHECK_FALSE(guard.consume(bad.data(), bad.size()));
  CHECK(guard.refused() == frame_guard::refusal::handshake_rejected);
}

TEST_CASE("frame_guard refuses a handshake larger than it collects") {
  frame_guard guard{uint64_t{1} << 30,
                    [](uint8_t, const std::vector<char>&) { return true; }};
  auto hs
    = header(frame_guard::client_handshake, frame_guard::max_handshake + 1);
  CHECK_FALSE(guard.consume(hs.data(), hs.size()));
  CHECK(guard.refused() == frame_guard::refusal::oversized_handshake);
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard passes every message of the mesh protocol "
                 "wherever the reads split it") {
  using namespace switchboard;
  using namespace switchboard::detail;
  auto peer = sys->spawn(
    []() -> caf::behavior { return {[](int32_t x) { return x; }}; });
  std::vector<wire_request> reqs{
    {1, 5'000'000, "echo",
     wire_payload::of(caf::make_message(std::string{"hi"}))},
    {2, 0, "twice",
     wire_payload::of(caf::make_message(int32_t{21}, uint64_t{7}, true,
                                        std::vector<char>(3, 'x')))}};
  std::vector<wire_reply> reps{
    {1, wire_payload::of(caf::make_message(std::string{"HI"})), caf::error{}},
    {2, wire_payload{},
     make_error(error_code::no_such_route, "route 'x' does not exist")},
    {3, wire_payload{}, caf::make_error(caf::sec::request_timeout)}};
  std::vector<core::advert> adverts{{"echo", {"a", "b"}}};
  std::vector<caf::message> messages{
    caf::make_message(requests_atom::value, reqs),
    caf::make_message(replies_atom::value, reps),
    caf::make_message(advert_atom::value, adverts),
    caf::make_message(ping_atom::value),
    caf::make_message(hello_atom::value, std::string{"n1"}, peer),
    caf::make_message(std::string{"n2"}, peer),
    caf::make_message(call_atom::value, std::string{"echo"}, std::string{"x"},
                      int64_t{-1}, uint8_t{1}),
    caf::make_message(list_atom::value),
    caf::make_message(std::vector<core::route_info>(2)),
    caf::make_message(make_error(error_code::forbidden, "no")),
    caf::make_message(caf::make_message(std::vector<std::string>{"a"})),
    caf::message{}};
  for (auto& msg : messages) {
    INFO(caf::to_string(msg));
    CHECK(accepted_at_every_cut(payload(msg)));
  }
  caf::anon_send_exit(peer, caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard refuses a type outside the allowlist, naming "
                 "it, wherever the reads split its name") {
  CHECK(refused_at_every_cut(payload(caf::make_message(
          int32_t{1}, caf::make_message_id(7))))
        == "@message_id");
  CHECK(refused_at_every_cut(payload(caf::make_message(
          static_cast<long double>(1.5))))
        == "@ldouble");
  CHECK(refused_at_every_cut(payload(caf::make_message(
          std::string{"x"}, caf::duration{caf::time_unit::seconds, 1})))
        == "@duration");
  CHECK(refused_at_every_cut(payload(caf::make_message(caf::timeout_msg{})))
        == "@timeout");
  // Byte by byte, too.
  auto bytes = payload(caf::make_message(caf::down_msg{}));
  frame_guard guard{1000};
  auto hdr = header(direct_message, static_cast<uint32_t>(bytes.size()));
  REQUIRE(guard.consume(hdr.data(), hdr.size()));
  bool accepted = true;
  for (size_t i = 0; i < bytes.size() && accepted; ++i)
    accepted = guard.consume(&bytes[i], 1);
  CHECK_FALSE(accepted);
  CHECK(guard.refused() == frame_guard::refusal::refused_type);
  CHECK(guard.refused_type() == "@down");
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard refuses a type nested in a caf::error's context "
                 "or in a wire payload") {
  using namespace switchboard::detail;
  auto err = caf::make_error(caf::sec::runtime_error, caf::make_message_id(3));
  CHECK(refused_at_every_cut(payload(caf::make_message(err)))
        == "@message_id");
  std::vector<wire_reply> reps{
    {1, wire_payload::of(caf::make_message(std::string{"ok"})), err}};
  CHECK(refused_at_every_cut(
          payload(caf::make_message(switchboard::replies_atom::value, reps)))
        == "@message_id");
  std::vector<wire_request> reqs{
    {1, 0, "echo",
     wire_payload::of(caf::make_message(static_cast<long double>(2.5)))}};
  CHECK(refused_at_every_cut(
          payload(caf::make_message(switchboard::requests_atom::value, reqs)))
        == "@ldouble");
  // An error travelling as BASP's down message body (no message around).
  CHECK(refused_at_every_cut(payload(err)) == "@message_id");
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard refuses a type list longer than max_type_list "
                 "and passes one just below") {
  // "@<>" and "+@i32" per element.
  auto list_of = [&](size_t n) {
    caf::message_builder mb;
    for (size_t i = 0; i < n; ++i)
      mb.append(int32_t{1});
    return payload(mb.to_message());
  };
  auto fits = (frame_guard::max_type_list - 3) / 5;
  CHECK(accepted_at_every_cut(list_of(fits)));
  auto bytes = list_of(fits + 1);
  auto guard = guard_after(bytes, bytes.size() / 2);
  CHECK(guard.refused() == frame_guard::refusal::oversized_type_list);
  CHECK(guard.refused_size() == 3 + 5 * (fits + 1));
  CHECK_FALSE(frame_guard::accepts_payload(bytes.data(), bytes.size()));
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard refuses an unknown name as soon as it is longer "
                 "than every allowed one and prints it escaped") {
  // A peer's list: '+', then a name of 300 bytes with a newline in it.
  std::string list
    = "@<>+" + std::string(10, 'a') + "\n" + std::string(290, 'b');
  std::string bytes{"\0\0", 2};
  bytes.push_back(static_cast<char>(0x80 | (list.size() & 0x7F)));
  bytes.push_back(static_cast<char>(list.size() >> 7));
  bytes += list;
  auto name = refused_at_every_cut(bytes);
  REQUIRE_FALSE(name.empty());
  CHECK(name.find("\\x0a") == 10);
  CHECK(name.size() <= frame_guard::longest_allowed_type + 1 + 3 + 3);
  CHECK(name.substr(name.size() - 3) == "...");
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard leaves text that holds a type list alone when "
                 "CAF cannot read a list there") {
  using namespace switchboard::detail;
  // In a string, "@<>+double" follows the string's length, not a uint16
  // zero: CAF reads it as text.
  CHECK(accepted_at_every_cut(
    payload(caf::make_message(std::string{"@<>+double+@config_value"}))));
  std::vector<wire_request> reqs{
    {1, 0, "echo",
     wire_payload::of(caf::make_message(std::string{"@<>+@duration"}))}};
  CHECK(accepted_at_every_cut(
    payload(caf::make_message(switchboard::requests_atom::value, reqs))));
  // The same name where CAF would read a list is refused.
  std::string list = "@<>+@duration";
  std::string bytes{"\0\0", 2};
  bytes.push_back(static_cast<char>(list.size()));
  bytes += list;
  CHECK(refused_at_every_cut(bytes) == "@duration");
  // A list cut by a frame's end is not joined with the next frame.
  frame_guard guard{1000};
  auto first = header(direct_message, 7);
  first.insert(first.end(), bytes.begin(), bytes.begin() + 7);
  auto second = header(direct_message, static_cast<uint32_t>(bytes.size() - 7));
  second.insert(second.end(), bytes.begin() + 7, bytes.end());
  CHECK(guard.consume(first.data(), first.size()));
  CHECK(guard.consume(second.data(), second.size()));
  CHECK(guard.refused() == frame_guard::refusal::none);
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard refuses a uri node id, which CAF decodes "
                 "without any type list and can throw on") {
  // The tag is what CAF writes for the atom "uri".
  std::vector<char> buf;
  caf::binary_serializer sink{*sys, buf};
  REQUIRE_FALSE(sink(caf::atom("uri")));
  REQUIRE(buf.size() == 8);
  CHECK(std::string(buf.begin(), buf.end())
        == std::string(frame_guard::uri_node_id_tag(), 8));
  // A node id naming a uri whose host has a variant index past CAF's
  // cases: empty scheme and userinfo, then host tag 200.
  buf.insert(buf.end(), {0, 0, static_cast<char>(200)});
  caf::node_id node;
  caf::binary_deserializer source{*sys, buf};
  CHECK_THROWS(source(node));
  // The guard refuses those bytes wherever the reads split them, in a
  // handshake too (before its callback sees them).
  std::string bytes{buf.begin(), buf.end()};
  CHECK(refused_at_every_cut(bytes) == "caf::uri (a node id)");
  bool called = false;
  frame_guard guard{1000, [&](uint8_t, const std::vector<char>&) {
                      called = true;
                      return true;
                    }};
  auto hs = header(frame_guard::server_handshake,
                   static_cast<uint32_t>(bytes.size()));
  hs.insert(hs.end(), bytes.begin(), bytes.end());
  CHECK_FALSE(guard.consume(hs.data(), hs.size()));
  CHECK_FALSE(called);
  // A real node id (CAF's default kind) passes.
  CHECK(accepted_at_every_cut(payload(sys->node())));
}

TEST_CASE_METHOD(guard_system,
                 "the allowlist holds every type configure_mesh registers, "
                 "none of the types CAF registers with them") {
  // `add_message_type<T>("T")` registers "T", and CAF adds
  // "std::vector<T>" and "stream<T>" by itself; the middleman registers its
  // broker messages. Only Switchboard's own T and std::vector<T> are
  // allowed: CAF's additions include `settings` and
  // `std::vector<@config_value>`, which hold a config_value.
  auto own = [](const std::string& name) {
    auto inner = name;
    if (inner.rfind("std::vector<", 0) == 0)
      inner = inner.substr(12, inner.size() - 13);
    return inner.rfind("switchboard::", 0) == 0
           && inner.find('<') == std::string::npos;
  };
  size_t owned = 0;
  for (auto& kvp : cfg.value_factories_by_name) {
    INFO(kvp.first);
    CHECK(frame_guard::is_allowed_type(kvp.first) == own(kvp.first));
    owned += own(kvp.first) ? 1 : 0;
  }
  CHECK(owned == 12);
  for (auto name :
       {"settings", "std::vector<@config_value>", "dictionary<@config_value>",
        "stream<@message>", "@new_data_msg"}) {
    INFO(name);
    CHECK(cfg.value_factories_by_name.count(name) == 1);
    CHECK_FALSE(frame_guard::is_allowed_type(name));
  }
  for (auto name : frame_guard::allowed_types) {
    INFO(name);
    CHECK(name.find('+') == std::string_view::npos);
    CHECK(name.find("@<>") == std::string_view::npos);
    CHECK(name.size() <= frame_guard::longest_allowed_type);
    // CAF's builtins ("@...", "bool", "double", "float") are numbered, not
    // registered by name; every other name is one configure_mesh adds.
    if (name[0] != '@' && name != "bool" && name != "double"
        && name != "float")
      CHECK(cfg.value_factories_by_name.count(std::string{name}) == 1);
  }
}

TEST_CASE_METHOD(guard_system,
                 "frame_guard passes the plain value types route arguments "
                 "carry wherever the reads split them") {
  std::map<std::string, std::string> strmap{{"k", "v"}};
  std::set<std::string> strset{"a", "b"};
  auto msg = caf::make_message(1.5, 2.5f, caf::timespan{std::chrono::seconds{1}},
                               caf::make_timestamp(), strmap, strset,
                               std::u16string{u"x"}, std::u32string{U"y"});
  INFO(caf::to_string(msg));
  CHECK(accepted_at_every_cut(payload(msg)));
}

namespace {

/// A type of the test's own, registered as `test::spot`.
struct spot {
  int32_t x = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spot& p) {
  return f(caf::meta::type_name("test::spot"), p.x);
}

} // namespace

TEST_CASE("frame_guard passes a custom type and its vector only when listed") {
  caf::actor_system_config cfg;
  cfg.set("scheduler.max-threads", 1);
  switchboard::configure_mesh(cfg, nullptr);
  cfg.add_message_type<spot>("test::spot");
  caf::actor_system sys{cfg};
  auto bytes_of = [&](const caf::message& msg) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    REQUIRE(!sink(msg));
    return std::string{buf.begin(), buf.end()};
  };
  auto one = bytes_of(caf::make_message(spot{1}));
  auto many = bytes_of(caf::make_message(std::vector<spot>{{1}, {2}}));
  frame_guard::custom_types types;
  REQUIRE(types.assign({"test::spot"}).empty());
  for (auto& bytes : {one, many}) {
    CHECK_FALSE(frame_guard::accepts_payload(bytes.data(), bytes.size()));
    CHECK(frame_guard::accepts_payload(bytes.data(), bytes.size(), &types));
  }
  // A guard made with the list, split anywhere.
  auto shared = std::make_shared<const frame_guard::custom_types>(types);
  for (size_t cut = 0; cut <= many.size(); ++cut) {
    frame_guard guard{1u << 20, nullptr, shared};
    auto hdr = header(direct_message, static_cast<uint32_t>(many.size()));
    CHECK((guard.consume(hdr.data(), hdr.size())
           && guard.consume(many.data(), cut)
           && guard.consume(many.data() + cut, many.size() - cut)));
  }
  // Never the stream CAF registers beside it, nor a name merely close.
  CHECK_FALSE(types.contains("caf::stream<test::spot>"));
  CHECK_FALSE(types.contains("std::vector<test::spo>"));
  CHECK_FALSE(types.contains("std::vector<>"));
  CHECK(types.contains("std::vector<test::spot>"));
}

TEST_CASE("frame_guard's custom types refuse names that are not custom type "
          "names") {
  frame_guard::custom_types types;
  CHECK(types.assign({""}) == "a custom type name is empty");
  CHECK(types.assign({"@config_value"}).find("is a CAF builtin name")
        != std::string::npos);
  CHECK(types.assign({"double"}).find("is a CAF builtin name")
        != std::string::npos);
  CHECK(types.assign({"a+b"}).find("holds") != std::string::npos);
  CHECK(types.assign({"x@<>"}).find("holds") != std::string::npos);
  CHECK(types.assign({std::string(244, 'x')}).find("is longer than 243")
        != std::string::npos);
  CHECK(types.assign({std::string(243, 'x')}).empty());
  CHECK(types.longest() == 256);
}
