#include "switchboard/core/policy.hpp"

#include "switchboard/core/broadcast.hpp"
#include "switchboard/core/consistent_hash.hpp"
#include "switchboard/core/least_loaded.hpp"
#include "switchboard/core/random_pick.hpp"
#include "switchboard/core/round_robin.hpp"

namespace switchboard::core {

policy::~policy() = default;

bool policy::fan_out() const noexcept {
  return false;
}

std::string_view to_string(policy_kind x) noexcept {
  switch (x) {
    case policy_kind::round_robin:
      return "round_robin";
    case policy_kind::random:
      return "random";
    case policy_kind::least_loaded:
      return "least_loaded";
    case policy_kind::consistent_hash:
      return "consistent_hash";
    case policy_kind::broadcast:
      return "broadcast";
  }
  return "unknown";
}

std::optional<policy_kind> parse_policy_kind(std::string_view name) noexcept {
  for (auto kind : {policy_kind::round_robin, policy_kind::random,
                    policy_kind::least_loaded, policy_kind::consistent_hash,
                    policy_kind::broadcast})
    if (to_string(kind) == name)
      return kind;
  return std::nullopt;
}

std::unique_ptr<policy> make_policy(policy_kind kind) {
  switch (kind) {
    case policy_kind::round_robin:
      return std::make_unique<round_robin>();
    case policy_kind::random:
      return std::make_unique<random_pick>();
    case policy_kind::least_loaded:
      return std::make_unique<least_loaded>();
    case policy_kind::consistent_hash:
      return std::make_unique<consistent_hash>();
    case policy_kind::broadcast:
      return std::make_unique<broadcast>();
  }
  return nullptr;
}

} // namespace switchboard::core
