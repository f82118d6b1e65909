#include <catch2/catch.hpp>

// The bound on sequence sizes that every networked node puts on CAF's
// binary_deserializer (actors/switchboard/detail/deserializer_bounds.cpp): what
// a peer's bytes claim is checked against the bytes that are there.

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "load/rss.hpp"
#include "switchboard/mesh.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// The actor system of the running test.
caf::actor_system* current_system = nullptr;

caf::actor_system& sys() {
  return *current_system;
}

/// An actor system set up as a node's: `configure_mesh` is what puts the
/// bound in place.
struct mesh_system {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> system;

  mesh_system() {
    cfg.set("scheduler.max-threads", 1);
    configure_mesh(cfg, nullptr);
    system.emplace(cfg);
    current_system = &*system;
  }

  ~mesh_system() {
    current_system = nullptr;
  }
};

std::vector<char> bytes(std::initializer_list<int> xs) {
  std::vector<char> result;
  for (auto x : xs)
    result.push_back(static_cast<char>(x));
  return result;
}

/// The bytes of a message holding one `@charbuf` whose size says `varint`
/// and whose content is `content`.
std::vector<char> charbuf_message(const std::vector<char>& varint,
                                  const std::vector<char>& content) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys(), buf};
  uint16_t zero = 0;
  std::string names = "@<>+@charbuf";
  REQUIRE_FALSE(sink.begin_object(zero, names));
  buf.insert(buf.end(), varint.begin(), varint.end());
  buf.insert(buf.end(), content.begin(), content.end());
  return buf;
}

template <class T>
T round_trip(const T& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys(), buf};
  auto copy = x;
  REQUIRE_FALSE(sink(copy));
  caf::binary_deserializer source{sys(), buf};
  T result;
  auto err = source(result);
  INFO(sys().render(err));
  REQUIRE_FALSE(err);
  CHECK(source.remaining() == 0);
  return result;
}

} // namespace

TEST_CASE_METHOD(mesh_system,
                 "a sequence size larger than the bytes that follow is refused "
                 "before anything is allocated") {
  // 0xFFFFFFFF as a varint, then two bytes.
  auto buf = bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 'a', 'b'});
  caf::binary_deserializer source{sys(), buf};
  size_t n = 42;
  CHECK(source.begin_sequence(n) == caf::sec::end_of_stream);
  CHECK(n == 42);
}

TEST_CASE_METHOD(
  mesh_system, "a sequence size whose varint runs past five bytes is refused") {
  auto buf = bytes({0x81, 0x80, 0x80, 0x80, 0x80, 0x00, 'a'});
  caf::binary_deserializer source{sys(), buf};
  size_t n = 0;
  CHECK(source.begin_sequence(n) == caf::sec::invalid_argument);
}

TEST_CASE_METHOD(
  mesh_system,
  "a message whose byte buffer claims 4 GiB fails to decode without "
  "the allocation") {
  auto buf = charbuf_message(bytes({0xFF, 0xFF, 0xFF, 0xFF, 0x0F}),
                             std::vector<char>(100, 'x'));
  auto before_kib = rss_kib();
  reset_peak_rss();
  caf::binary_deserializer source{sys(), buf};
  caf::message msg;
  // `load`, not `source(msg)`: CAF 0.17's operator() drops a message's
  // load error (type_erased_tuple.hpp's `serialize`).
  auto err = msg.load(source);
  INFO(sys().render(err));
  CHECK(err == caf::sec::end_of_stream);
  CHECK(msg.empty());
  // CAF alone would resize a buffer to 4 GiB, zeroed, then fail.
  auto peak_kib = peak_rss_kib();
  INFO("peak RSS " << peak_kib << " KiB, before " << before_kib << " KiB");
  CHECK(peak_kib > 0);
  CHECK(peak_kib < before_kib + 64 * 1024);
}

TEST_CASE_METHOD(
  mesh_system, "a byte buffer that claims up to its bytes decodes and one byte "
               "short fails") {
  auto good = charbuf_message(bytes({3}), bytes({'a', 'b', 'c'}));
  caf::binary_deserializer source{sys(), good};
  caf::message msg;
  REQUIRE_FALSE(msg.load(source));
  REQUIRE(msg.match_elements<std::vector<char>>());
  CHECK(msg.get_as<std::vector<char>>(0) == bytes({'a', 'b', 'c'}));
  auto short_by_one = charbuf_message(bytes({4}), bytes({'a', 'b', 'c'}));
  caf::binary_deserializer again{sys(), short_by_one};
  caf::message other;
  CHECK(other.load(again) == caf::sec::end_of_stream);
}

TEST_CASE_METHOD(mesh_system, "a double or float whose exponent bits are "
                              "all ones is refused, not decoded as an "
                              "infinity that CAF cannot encode again") {
  // Exponent all ones: what CAF 0.17 decodes as an infinity, and whose
  // `pack754` then halves for ever when the node sends the value on.
  for (auto bits : {uint64_t{0x7FF0000000000000}, uint64_t{0xFFF0000000000001},
                    uint64_t{0x7FFFFFFFFFFFFFFF}}) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys(), buf};
    REQUIRE_FALSE(sink(bits));
    caf::binary_deserializer source{sys(), buf};
    double x = 1.0;
    CHECK(source(x) == caf::sec::invalid_argument);
    CHECK(x == 1.0);
  }
  std::vector<char> buf;
  caf::binary_serializer sink{sys(), buf};
  REQUIRE_FALSE(sink(uint32_t{0x7F800000}));
  caf::binary_deserializer source{sys(), buf};
  float f = 1.0f;
  CHECK(source(f) == caf::sec::invalid_argument);
}

TEST_CASE_METHOD(mesh_system, "finite doubles and floats still round-trip "
                              "under the check") {
  for (double x : {0.0, -0.5, 1.0, 3.25e300, -1.5e-300,
                   std::numeric_limits<double>::max()})
    CHECK(round_trip(x) == x);
  for (float x : {0.0f, 2.5f, -1.0e30f, std::numeric_limits<float>::max()})
    CHECK(round_trip(x) == x);
}

TEST_CASE_METHOD(mesh_system,
                 "sequences of every builtin shape still round-trip under the "
                 "bound") {
  CHECK(round_trip(std::string{"hello"}) == "hello");
  CHECK(round_trip(std::string{}).empty());
  CHECK(round_trip(std::vector<char>(70000, 'z'))
        == std::vector<char>(70000, 'z'));
  std::vector<bool> bits(17, true);
  bits[3] = false;
  CHECK(round_trip(bits) == bits);
  std::vector<std::string> words{"a", "", "ccc"};
  CHECK(round_trip(words) == words);
  CHECK(round_trip(std::u16string{u"xyz"}) == u"xyz");
  auto msg = round_trip(
    caf::make_message(words, std::vector<char>(3, 'q'), std::string{"s"}));
  REQUIRE(msg.match_elements<std::vector<std::string>, std::vector<char>,
                             std::string>());
  CHECK(msg.get_as<std::vector<std::string>>(0) == words);
}
