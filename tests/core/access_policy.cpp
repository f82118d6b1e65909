#include <catch2/catch.hpp>

#include "switchboard/core/access_policy.hpp"

using namespace switchboard::core;

namespace {

access_policy billing_policy() {
  return access_policy{{
    {"billing-*", {"invoice.*", "echo"}, false},
    {"node-?", {"*"}, true},
  }};
}

} // namespace

TEST_CASE("without rules everyone may call every route and join the mesh") {
  access_policy p;
  CHECK_FALSE(p.restricted());
  CHECK(p.may_call(std::nullopt, "anything"));
  CHECK(p.may_call(std::string{"x"}, "anything"));
  CHECK(p.may_peer(std::nullopt));
}

TEST_CASE("with rules an identity may call only the routes its rules name") {
  auto p = billing_policy();
  CHECK(p.restricted());
  CHECK(p.may_call(std::string{"billing-eu"}, "invoice.create"));
  CHECK(p.may_call(std::string{"billing-eu"}, "echo"));
  CHECK_FALSE(p.may_call(std::string{"billing-eu"}, "admin.drop"));
  CHECK_FALSE(p.may_call(std::string{"billing-eu"}, "echo2"));
}

TEST_CASE("with rules an identity no rule names may do nothing") {
  auto p = billing_policy();
  CHECK_FALSE(p.may_call(std::string{"mallory"}, "echo"));
  CHECK_FALSE(p.may_peer(std::string{"mallory"}));
}

TEST_CASE("with rules a party without an identity may do nothing") {
  auto p = billing_policy();
  CHECK_FALSE(p.may_call(std::nullopt, "echo"));
  CHECK_FALSE(p.may_peer(std::nullopt));
}

TEST_CASE("only rules with peer = true let an identity join the mesh") {
  auto p = billing_policy();
  CHECK(p.may_peer(std::string{"node-a"}));
  CHECK_FALSE(p.may_peer(std::string{"node-ab"}));
  CHECK_FALSE(p.may_peer(std::string{"billing-eu"}));
}

TEST_CASE("the rules matching an identity add up") {
  access_policy p{{{"svc-*", {"a"}, false}, {"svc-1", {"b"}, false}}};
  CHECK(p.may_call(std::string{"svc-1"}, "a"));
  CHECK(p.may_call(std::string{"svc-1"}, "b"));
  CHECK_FALSE(p.may_call(std::string{"svc-2"}, "b"));
}

TEST_CASE("an identity some rule names may list the routes, others may not") {
  auto p = billing_policy();
  CHECK(p.known(std::string{"billing-eu"}));
  CHECK_FALSE(p.known(std::string{"mallory"}));
  CHECK_FALSE(p.known(std::nullopt));
  CHECK(access_policy{}.known(std::nullopt));
}
