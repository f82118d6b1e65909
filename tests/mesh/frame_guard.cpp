#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "switchboard/detail/frame_guard.hpp"

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

TEST_CASE("frame_guard refuses a payload naming a type whose decoding throws "
          "wherever the reads split it") {
  std::string payload = std::string{"\0\0", 2} + "@<>+@i32+@config_value"
                        + std::string(40, '\x01');
  for (size_t cut = 0; cut <= payload.size(); ++cut) {
    INFO("split at " << cut);
    frame_guard guard{1000};
    auto hdr = header(direct_message, static_cast<uint32_t>(payload.size()));
    REQUIRE(guard.consume(hdr.data(), hdr.size()));
    auto first = guard.consume(payload.data(), cut);
    auto second = first && guard.consume(payload.data() + cut,
                                         payload.size() - cut);
    CHECK_FALSE(second);
    CHECK(guard.refused() == frame_guard::refusal::refused_type);
    REQUIRE(guard.refused_type() != nullptr);
    CHECK(std::string{guard.refused_type()} == "+@config_value");
  }
  // Byte by byte.
  frame_guard guard{1000};
  auto hdr = header(direct_message, static_cast<uint32_t>(payload.size()));
  REQUIRE(guard.consume(hdr.data(), hdr.size()));
  bool accepted = true;
  for (size_t i = 0; i < payload.size() && accepted; ++i)
    accepted = guard.consume(&payload[i], 1);
  CHECK_FALSE(accepted);
  CHECK(guard.refused() == frame_guard::refusal::refused_type);
}

TEST_CASE("frame_guard passes payloads naming only other types, and never "
          "joins names across frames") {
  frame_guard guard{1000};
  for (std::string payload :
       {std::string{"@<>+@i32+@str+@charbuf"}, std::string{"@config_value"},
        std::string{"+@upstream"}, std::string{"+@"}}) {
    auto hdr = header(direct_message, static_cast<uint32_t>(payload.size()));
    REQUIRE(guard.consume(hdr.data(), hdr.size()));
    REQUIRE(guard.consume(payload.data(), payload.size()));
  }
  // "+@" ended the last frame; "config_value" starts the next one.
  std::string rest = "config_value";
  auto hdr = header(direct_message, static_cast<uint32_t>(rest.size()));
  REQUIRE(guard.consume(hdr.data(), hdr.size()));
  CHECK(guard.consume(rest.data(), rest.size()));
  CHECK(guard.refused() == frame_guard::refusal::none);
  for (auto name : frame_guard::refused_types)
    CHECK(std::string{name}.size() <= frame_guard::longest_refused_type);
}
