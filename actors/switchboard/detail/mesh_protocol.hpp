#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/make_message.hpp>
#include <caf/meta/type_name.hpp>

#include "switchboard/core/route_name.hpp"

namespace switchboard::detail {

/// Between links: `(sb_limits, link_max_in_flight)`, sent once by each end
/// as soon as it knows its peer, before anything else: how many of the
/// peer's calls this node runs at once. The peer refuses its own callers
/// beyond it (`link_gate`) instead of sending calls this node would refuse;
/// this node refuses them anyway. A peer that never sends it (an older
/// one) is trusted up to `link_gate::max_limit`.
using limits_atom = caf::atom_constant<caf::atom("sb_limits")>;

/// A call's arguments or a reply's value as it crosses the network. A lone
/// string (every daemon route's payload) travels as the string itself:
/// CAF 0.17 writes and parses a type-name string for every `caf::message`
/// it serializes, which is most of a small call's cost on the wire.
struct wire_payload {
  /// True if the payload is `text` alone; otherwise `other`.
  bool is_text = false;
  std::string text;
  caf::message other;

  static wire_payload of(caf::message x) {
    wire_payload result;
    if (x.match_elements<std::string>()) {
      result.is_text = true;
      // Moves the string out when `x` is its only owner (else copies).
      result.text = std::move(x.get_mutable_as<std::string>(0));
    } else {
      result.other = std::move(x);
    }
    return result;
  }

  caf::message take() {
    if (is_text)
      return caf::make_message(std::move(text));
    return std::move(other);
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_payload& x) {
  return f(caf::meta::type_name("switchboard::wire_payload"), x.is_text,
           x.text, x.other);
}

/// One call travelling between two links. `timeout_ns` is what is left of
/// the caller's deadline, or 0 for "the serving route's own timeout".
struct wire_request {
  uint64_t id = 0;
  int64_t timeout_ns = 0;
  std::string route;
  wire_payload args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_request& x) {
  return f(caf::meta::type_name("switchboard::wire_request"), x.id,
           x.timeout_ns, x.route, x.args);
}

/// The longest timeout a call may carry from another node: 365 days, the
/// longest duration a configuration accepts. A link adds a call's timeout to
/// a clock reading and files it by timeout class (core::pending_table); with
/// this bound neither can overflow.
inline constexpr int64_t max_wire_timeout_ns
  = int64_t{365} * 24 * 3600 * 1000 * 1000 * 1000;

/// Says why a link refuses a call from its peer, or nothing (empty): a
/// route name that `core::route_name_problem` refuses (the front door's
/// rule), or a timeout outside [0, `max_wire_timeout_ns`].
inline std::string wire_request_problem(const wire_request& x) {
  if (auto why = core::route_name_problem(x.route); !why.empty())
    return why;
  if (x.timeout_ns < 0 || x.timeout_ns > max_wire_timeout_ns)
    return "route '" + x.route + "': a timeout of "
           + std::to_string(x.timeout_ns) + "ns is outside [0, "
           + std::to_string(max_wire_timeout_ns) + "ns]";
  return {};
}

/// The answer to one `wire_request`: `err` if set, else `value`.
struct wire_reply {
  uint64_t id = 0;
  wire_payload value;
  caf::error err;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_reply& x) {
  return f(caf::meta::type_name("switchboard::wire_reply"), x.id, x.value,
           x.err);
}

} // namespace switchboard::detail
