#include <catch2/catch.hpp>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

TEST_CASE("a route served only by a peer is callable by name") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("upper", [](std::string x) {
    for (auto& c : x)
      c = static_cast<char>(toupper(c));
    return x;
  }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("upper", 10s));
  auto out = a.call("upper", caf::make_message(std::string{"hi"}));
  REQUIRE(out);
  REQUIRE(out->match_elements<std::string>());
  CHECK(out->get_as<std::string>(0) == "HI");
}
