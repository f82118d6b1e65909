#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/message.hpp>
#include <caf/meta/type_name.hpp>

namespace switchboard::detail {

/// One call travelling between two links. `timeout_ns` is what is left of
/// the caller's deadline, or 0 for "the serving route's own timeout".
struct wire_request {
  uint64_t id = 0;
  int64_t timeout_ns = 0;
  std::string route;
  caf::message args;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_request& x) {
  return f(caf::meta::type_name("switchboard::wire_request"), x.id,
           x.timeout_ns, x.route, x.args);
}

/// The answer to one `wire_request`: `err` if set, else `value`.
struct wire_reply {
  uint64_t id = 0;
  caf::message value;
  caf::error err;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, wire_reply& x) {
  return f(caf::meta::type_name("switchboard::wire_reply"), x.id, x.value,
           x.err);
}

} // namespace switchboard::detail
