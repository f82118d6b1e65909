#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace switchboard::core {

/// One access rule: what the holders of matching identities may do.
struct access_rule {
  /// Glob on the identity (a certificate's subject name).
  std::string identity;
  /// Globs of the routes it may call.
  std::vector<std::string> call;
  /// Whether it may join the mesh and advertise routes.
  bool peer = false;
};

/// Decides what a remote party may do at a node's front door.
///
/// With no rules, everything is allowed (a node without `[[allow]]`). Once
/// any rule exists, whatever no rule allows is denied: a party without an
/// identity (plain TCP, no certificate) may do nothing, and one with an
/// identity may do what the union of the rules matching it allows. Pure
/// and immutable: safe to share between threads. It does not know who a
/// party is: the transport tells the front door (see docs/security.md).
class access_policy {
public:
  access_policy() = default;

  explicit access_policy(std::vector<access_rule> rules);

  /// Whether any rule exists (deny by default).
  bool restricted() const noexcept {
    return !rules_.empty();
  }

  /// May `identity` (nothing: anonymous) call `route`?
  bool may_call(const std::optional<std::string>& identity,
                std::string_view route) const;

  /// Does any rule name `identity` (always true without rules)? Such a
  /// party may list the routes.
  bool known(const std::optional<std::string>& identity) const;

  /// May `identity` join the mesh?
  bool may_peer(const std::optional<std::string>& identity) const;

private:
  std::vector<access_rule> rules_;
};

} // namespace switchboard::core
