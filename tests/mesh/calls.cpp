#include <catch2/catch.hpp>

#include <map>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// A route that answers with the name of the node serving it.
void add_name_route(mesh_node& n, const std::string& route) {
  auto name = n.net->name();
  REQUIRE(n.sb->add(route, [name](int32_t) { return name; }) == caf::none);
}

} // namespace

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
  INFO(show(out));
  REQUIRE(out);
  REQUIRE(out->match_elements<std::string>());
  CHECK(out->get_as<std::string>(0) == "HI");
}

TEST_CASE("calls flow both ways over a link that only one side dialled") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(a.sb->add("twice", [](int32_t x) { return 2 * x; }) == caf::none);
  a.connect(b);
  REQUIRE(b.net->wait_for_route("twice", 10s));
  auto out = b.call("twice", caf::make_message(int32_t{21}));
  INFO(show(out));
  REQUIRE(out);
  REQUIRE(out->match_elements<int32_t>());
  CHECK(out->get_as<int32_t>(0) == 42);
}

TEST_CASE("a plain CAF request to the registry reaches a route served by a peer") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("greet", [](const std::string& who) {
    return "hello " + who;
  }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("greet", 10s));
  auto out = a.request<std::string>("greet",
                                    caf::make_message(std::string{"mesh"}));
  INFO((out ? *out : describe(out.error())));
  REQUIRE(out);
  CHECK(*out == "hello mesh");
}

TEST_CASE("a plain CAF request for a peer's route runs under the serving route's own timeout") {
  mesh_node a{"A"}, b{"B"};
  core::route_options opts;
  opts.timeout = 300ms;
  // Defers and never delivers: only the route's deadline answers.
  REQUIRE(b.sb->add("stall", [](responder<int32_t>, int32_t) {}, opts)
          == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("stall", 10s));
  auto start = steady::now();
  auto out = a.request<int32_t>("stall", caf::make_message(int32_t{1}), 8s);
  auto took = steady::now() - start;
  REQUIRE(!out);
  INFO(describe(out.error()));
  CHECK(code_of(out.error()) == error_code::timeout);
  CHECK(took >= 300ms);
  CHECK(took < 3s);
}

TEST_CASE("a handler that throws on the peer reaches the caller as handler_failed with its message") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("fragile", [](int32_t) -> int32_t {
    throw std::runtime_error("broken on purpose");
  }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("fragile", 10s));
  SECTION("through the library call API") {
    auto out = a.call("fragile", caf::make_message(int32_t{1}));
    INFO(show(out));
    REQUIRE(!out);
    CHECK(code_of(out.error()) == error_code::handler_failed);
    CHECK(message_of(out.error()).find("broken on purpose")
          != std::string::npos);
  }
  SECTION("through a plain CAF request") {
    auto out = a.request<int32_t>("fragile", caf::make_message(int32_t{1}));
    REQUIRE(!out);
    INFO(describe(out.error()));
    CHECK(code_of(out.error()) == error_code::handler_failed);
    CHECK(message_of(out.error()).find("broken on purpose")
          != std::string::npos);
  }
}

TEST_CASE("an error a handler on the peer returns reaches the caller with its code and message") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("refuse", [](int32_t) -> caf::expected<int32_t> {
    return make_error(error_code::overloaded, "too busy on purpose");
  }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("refuse", 10s));
  auto out = a.call("refuse", caf::make_message(int32_t{1}));
  INFO(show(out));
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::overloaded);
  CHECK(message_of(out.error()) == "too busy on purpose");
}

TEST_CASE("arguments and results of several types survive the trip to a peer") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("mix", [](int32_t n, const std::string& s) {
    return caf::make_message(s + "/" + std::to_string(n), n * 3);
  }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("mix", 10s));
  SECTION("through the library call API") {
    auto out = a.call("mix", caf::make_message(int32_t{-7}, std::string{"x y"}));
    INFO(show(out));
    REQUIRE(out);
    REQUIRE(out->match_elements<std::string, int32_t>());
    CHECK(out->get_as<std::string>(0) == "x y/-7");
    CHECK(out->get_as<int32_t>(1) == -21);
  }
  SECTION("arguments the peer's handler does not take answer bad_request") {
    auto out = a.call("mix", caf::make_message(std::string{"x"}, int32_t{1}));
    INFO(show(out));
    REQUIRE(!out);
    CHECK(code_of(out.error()) == error_code::bad_request);
  }
}

TEST_CASE("a local route is preferred over a peer's route of the same name") {
  mesh_node a{"A"}, b{"B"};
  add_name_route(a, "who");
  add_name_route(b, "who");
  // Advertised in the same update as "who": once A reaches "marker", it
  // knows that B serves "who" too.
  add_name_route(b, "marker");
  a.connect(b);
  REQUIRE(a.net->wait_for_route("marker", 10s));
  for (int i = 0; i < 10; ++i)
    CHECK(string_of(a.call("who", caf::make_message(int32_t{i}))) == "A");
  auto info = a.route("who");
  REQUIRE(info);
  CHECK(info->kind != "remote");
  CHECK(info->origin == "A");
  // The peer's route was only shadowed: without the local one, B answers.
  REQUIRE(a.sb->remove("who") == caf::none);
  REQUIRE(a.net->wait_for_route("who", 10s));
  CHECK(string_of(a.call("who", caf::make_message(int32_t{0}))) == "B");
}

TEST_CASE("two peers serving the same route share the load") {
  mesh_node a{"A"}, b{"B"}, c{"C"};
  add_name_route(b, "r");
  add_name_route(c, "r");
  a.connect(b);
  a.connect(c);
  REQUIRE(a.net->wait_for_peers(2, 10s));
  REQUIRE(a.wait_for_log("route 'r' reachable via B,C", 10s));
  std::vector<async_call_ptr> calls;
  for (int32_t i = 0; i < 100; ++i)
    calls.push_back(a.call_async("r", caf::make_message(i)));
  std::map<std::string, int> seen;
  for (auto& x : calls) {
    REQUIRE(x->wait(15s));
    ++seen[string_of(x->result)];
  }
  INFO("B: " << seen["B"] << ", C: " << seen["C"]);
  CHECK(seen.size() == 2);
  CHECK(seen["B"] >= 30);
  CHECK(seen["C"] >= 30);
  CHECK(seen["B"] + seen["C"] == 100);
}

namespace {

/// A type of the test's own, registered on both nodes.
struct point {
  int32_t x = 0;
  int32_t y = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, point& p) {
  return f(caf::meta::type_name("test::point"), p.x, p.y);
}

void register_point(caf::actor_system_config& cfg) {
  cfg.add_message_type<point>("test::point");
}

mesh_options with_point() {
  mesh_options opts;
  opts.custom_types = {"test::point"};
  return opts;
}

/// A route that scales a point by a double: a custom type and a builtin
/// outside the integers, both ways.
void add_scale_route(mesh_node& n) {
  REQUIRE(n.sb->add("scale", [](const point& p, double k) {
    return caf::make_message(point{static_cast<int32_t>(p.x * k),
                                   static_cast<int32_t>(p.y * k)},
                             k * 2);
  }) == caf::none);
}

} // namespace

TEST_CASE("a custom type listed in custom_types crosses the mesh both ways") {
  mesh_node a{"A", with_point(), nullptr, 0, register_point};
  mesh_node b{"B", with_point(), nullptr, 0, register_point};
  add_scale_route(b);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("scale", 10s));
  auto out = a.call("scale", caf::make_message(point{2, -3}, 1.5));
  INFO(show(out));
  REQUIRE(out);
  REQUIRE(out->match_elements<point, double>());
  CHECK(out->get_as<point>(0).x == 3);
  CHECK(out->get_as<point>(0).y == -4);
  CHECK(out->get_as<double>(1) == 3.0);
}

TEST_CASE("a node closes the connection of a peer that sends a custom type "
          "it does not list in custom_types") {
  mesh_node a{"A", with_point(), nullptr, 0, register_point};
  mesh_node b{"B", mesh_options{}, nullptr, 0, register_point};
  add_scale_route(b);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("scale", 10s));
  auto out = a.call("scale", caf::make_message(point{2, -3}, 1.5));
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::node_down);
  CHECK(b.wait_for_log("names the type test::point", 10s));
}

TEST_CASE("a mesh refuses custom_types that are not custom type names") {
  caf::actor_system_config cfg;
  configure_mesh(cfg);
  caf::actor_system sys{cfg};
  router sb{sys};
  for (auto bad : {std::string{}, std::string{"@config_value"},
                   std::string{"double"}, std::string{"a+b"},
                   std::string(300, 'x')}) {
    INFO(bad);
    mesh_options opts;
    opts.name = "A";
    opts.custom_types = {bad};
    CHECK_THROWS_AS(mesh(sb.ref(), opts), std::invalid_argument);
  }
}
