// Fuzzes what a node decodes from the network: the bytes of a BASP payload
// go through CAF's binary_deserializer into a `caf::message`, on an actor
// system configured by `configure_mesh` (the types a node announces: wire
// requests and replies, adverts, route listings, switchboard errors), and
// the shapes the links and the front door accept then go through the
// checks those apply.
//
// Invariants: decoding never crashes, leaks or allocates without bound
// (libFuzzer's -rss_limit_mb / -malloc_limit_mb); a decoded message
// serializes and decodes again to the same bytes; every error renders.
// Per shape:
// - `(sb_reqs, [wire_request])`: `wire_request_problem` (what a link
//   refuses) is empty only for a valid route name and a timeout the link's
//   deadline arithmetic holds (`sent_at + timeout` and the pending table's
//   lanes cannot overflow); payloads unpack (`take`) to what they carried.
// - `(sb_reps, [wire_reply])`: errors render (`describe`), payloads unpack.
// - `(sb_adv, [advert])`: the adverts, learned by a `core::mesh_table`,
//   yield only routes with valid names, paths without loops or this node.
// - `(sb_call, route, args...)`: the front door's route-name rule; the
//   payload is counted (`payload_size`) without a crash.
// Actor handles (`sb_hello`) need BASP's proxy registry and fail to decode
// here; they are not covered. Bytes the transport refuses before BASP
// (`frame_guard::accepts_payload`: a type list naming a type outside the
// allowlist, an overlong list, a uri node id) are skipped, as a node never
// decodes them; the system is a node's (`configure_mesh`), with its checks
// on CAF's deserializer (detail/deserializer_bounds.hpp).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/message.hpp>

#include "fuzz_check.hpp"
#include "switchboard/atoms.hpp"
#include "switchboard/core/mesh_table.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/core/route_name.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/detail/frame_guard.hpp"
#include "switchboard/detail/mesh_protocol.hpp"
#include "switchboard/detail/route_state.hpp"
#include "switchboard/error.hpp"
#include "switchboard/mesh.hpp"

using namespace switchboard;
using namespace switchboard::detail;

namespace {

/// One system for the whole run, never destroyed (its threads outlive
/// every input; exit ends them).
caf::actor_system& sys() {
  static auto* cfg = [] {
    auto* result = new caf::actor_system_config;
    result->set("scheduler.max-threads", 1);
    result->set("logger.verbosity", caf::atom("quiet"));
    configure_mesh(*result, nullptr);
    return result;
  }();
  static auto* system = new caf::actor_system{*cfg};
  return *system;
}

std::vector<char> serialize(const caf::message& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{sys(), buf};
  auto err = sink(const_cast<caf::message&>(x));
  FUZZ_CHECK(!err);
  return buf;
}

void check_payload(wire_payload& x) {
  auto size = x.is_text ? x.text.size() : payload_size(x.other);
  static_cast<void>(size);
  auto text = x.text;
  auto is_text = x.is_text;
  auto msg = x.take();
  if (is_text) {
    FUZZ_CHECK(msg.match_elements<std::string>());
    FUZZ_CHECK(msg.get_as<std::string>(0) == text);
  }
}

void check_requests(std::vector<wire_request>& xs) {
  auto now = to_ns(steady::now());
  for (auto& x : xs) {
    auto problem = wire_request_problem(x);
    if (!core::route_name_problem(x.route).empty()) {
      FUZZ_CHECK(!problem.empty());
      continue;
    }
    if (!problem.empty())
      continue;
    // What the link computes for an accepted call: its deadline, and the
    // pending table's lane (the next power of two in ms) must fit.
    int64_t deadline = 0;
    FUZZ_CHECK(x.timeout_ns >= 0);
    FUZZ_CHECK(!__builtin_add_overflow(now, x.timeout_ns, &deadline));
    int64_t lane_ns = 0;
    FUZZ_CHECK(
      !__builtin_mul_overflow(int64_t{2} * (x.timeout_ns / 1'000'000 + 1),
                              int64_t{1'000'000}, &lane_ns));
    check_payload(x.args);
  }
}

void check_replies(std::vector<wire_reply>& xs) {
  for (auto& x : xs) {
    if (x.err) {
      FUZZ_CHECK(!describe(x.err).empty());
      FUZZ_CHECK(!sys().render(x.err).empty());
    }
    check_payload(x.value);
  }
}

void check_adverts(std::vector<core::advert>& xs) {
  core::mesh_table table{"self"};
  // Each advert's first node as the peer, so that every path has a chance.
  std::string peer = xs.empty() || xs.front().path.empty()
                       ? std::string{"peer"}
                       : xs.front().path.front();
  table.set_link(1, peer, xs);
  for (auto& [route, hops] : table.remote()) {
    FUZZ_CHECK(core::route_name_problem(route).empty());
    for (auto& hop : hops) {
      FUZZ_CHECK(hop.link == 1);
      FUZZ_CHECK(!hop.path.empty() && hop.path.front() == peer);
      std::vector<std::string> sorted = hop.path;
      std::sort(sorted.begin(), sorted.end());
      FUZZ_CHECK(std::adjacent_find(sorted.begin(), sorted.end())
                 == sorted.end());
      FUZZ_CHECK(
        !std::binary_search(sorted.begin(), sorted.end(), std::string{"self"}));
    }
  }
  for (auto& x : table.adverts_for(2))
    FUZZ_CHECK(core::route_name_problem(x.route).empty());
}

void check_routes(std::vector<core::route_info>& xs) {
  for (auto& x : xs)
    static_cast<void>(core::to_string(x.policy));
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (!frame_guard::accepts_payload(reinterpret_cast<const char*>(data),
                                    size))
    return 0;
  caf::binary_deserializer source{sys(), reinterpret_cast<const char*>(data),
                                  size};
  caf::message msg;
  if (auto err = source(msg)) {
    FUZZ_CHECK(!sys().render(err).empty());
    return 0;
  }
  // Stable: what decoded encodes to bytes that decode to the same bytes.
  auto bytes = serialize(msg);
  caf::binary_deserializer again{sys(), bytes};
  caf::message copy;
  FUZZ_CHECK(!again(copy));
  FUZZ_CHECK(serialize(copy) == bytes);
  FUZZ_CHECK(!caf::to_string(msg).empty());
  if (msg.match_elements<requests_atom, std::vector<wire_request>>()) {
    check_requests(msg.get_mutable_as<std::vector<wire_request>>(1));
  } else if (msg.match_elements<replies_atom, std::vector<wire_reply>>()) {
    check_replies(msg.get_mutable_as<std::vector<wire_reply>>(1));
  } else if (msg.match_elements<advert_atom, std::vector<core::advert>>()) {
    check_adverts(msg.get_mutable_as<std::vector<core::advert>>(1));
  } else if (msg.match_elements<std::vector<core::route_info>>()) {
    check_routes(msg.get_mutable_as<std::vector<core::route_info>>(0));
  } else if (msg.size() >= 2 && msg.match_element<call_atom>(0)
             && msg.match_element<std::string>(1)) {
    auto& route = msg.get_as<std::string>(1);
    static_cast<void>(core::route_name_problem(route));
    static_cast<void>(payload_size(msg.drop(2)));
  }
  return 0;
}
