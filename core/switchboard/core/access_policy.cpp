#include "switchboard/core/access_policy.hpp"

#include <algorithm>

#include "switchboard/core/glob.hpp"

namespace switchboard::core {

access_policy::access_policy(std::vector<access_rule> rules)
  : rules_(std::move(rules)) {
  // nop
}

bool access_policy::may_call(const std::optional<std::string>& identity,
                             std::string_view route) const {
  if (rules_.empty())
    return true;
  if (!identity)
    return false;
  return std::any_of(rules_.begin(), rules_.end(), [&](const access_rule& r) {
    return glob_match(r.identity, *identity)
           && std::any_of(
             r.call.begin(), r.call.end(),
             [&](const std::string& g) { return glob_match(g, route); });
  });
}

bool access_policy::known(const std::optional<std::string>& identity) const {
  if (rules_.empty())
    return true;
  if (!identity)
    return false;
  return std::any_of(rules_.begin(), rules_.end(), [&](const access_rule& r) {
    return glob_match(r.identity, *identity);
  });
}

bool access_policy::may_peer(const std::optional<std::string>& identity) const {
  if (rules_.empty())
    return true;
  if (!identity)
    return false;
  return std::any_of(rules_.begin(), rules_.end(), [&](const access_rule& r) {
    return r.peer && glob_match(r.identity, *identity);
  });
}

} // namespace switchboard::core
