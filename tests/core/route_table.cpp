#include "switchboard/core/route_table.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

using namespace switchboard::core;

TEST_CASE("route_table add stores a route under its name") {
  route_table<int> table;
  CHECK(table.size() == 0);
  CHECK(table.add("echo", 1));
  CHECK(table.add("add", 2));
  CHECK(table.size() == 2);
  REQUIRE(table.find("echo") != nullptr);
  REQUIRE(table.find("add") != nullptr);
  CHECK(*table.find("echo") == 1);
  CHECK(*table.find("add") == 2);
}

TEST_CASE("route_table add refuses a name that is taken") {
  route_table<int> table;
  REQUIRE(table.add("echo", 1));
  CHECK_FALSE(table.add("echo", 2));
  CHECK(table.size() == 1);
  // The first route stays.
  REQUIRE(table.find("echo") != nullptr);
  CHECK(*table.find("echo") == 1);
}

TEST_CASE("route_table find returns nullptr for unknown names") {
  route_table<int> table;
  CHECK(table.find("echo") == nullptr);
  REQUIRE(table.add("echo", 1));
  CHECK(table.find("Echo") == nullptr);
  CHECK(table.find("echo ") == nullptr);
  CHECK(table.find("") == nullptr);
}

TEST_CASE("route_table find gives access to the stored route") {
  route_table<int> table;
  REQUIRE(table.add("echo", 1));
  *table.find("echo") = 5;
  REQUIRE(table.find("echo") != nullptr);
  CHECK(*table.find("echo") == 5);
}

TEST_CASE("route_table replace swaps in the new route and returns the old") {
  route_table<std::string> table;
  REQUIRE(table.add("echo", "v1"));
  REQUIRE(table.add("other", "o1"));
  auto old = table.replace("echo", "v2");
  REQUIRE(old.has_value());
  CHECK(*old == "v1");
  REQUIRE(table.find("echo") != nullptr);
  CHECK(*table.find("echo") == "v2");
  CHECK(*table.find("other") == "o1");
  CHECK(table.size() == 2);
  auto older = table.replace("echo", "v3");
  REQUIRE(older.has_value());
  CHECK(*older == "v2");
  CHECK(*table.find("echo") == "v3");
}

TEST_CASE("route_table replace fails and changes nothing for unknown names") {
  route_table<std::string> table;
  REQUIRE(table.add("echo", "v1"));
  CHECK_FALSE(table.replace("missing", "v2").has_value());
  CHECK(table.size() == 1);
  CHECK(table.find("missing") == nullptr);
  CHECK(*table.find("echo") == "v1");
}

TEST_CASE("route_table remove returns the route and erases the name") {
  route_table<std::string> table;
  REQUIRE(table.add("echo", "e"));
  REQUIRE(table.add("add", "a"));
  auto removed = table.remove("echo");
  REQUIRE(removed.has_value());
  CHECK(*removed == "e");
  CHECK(table.size() == 1);
  CHECK(table.find("echo") == nullptr);
  CHECK(*table.find("add") == "a");
  CHECK_FALSE(table.remove("echo").has_value());
  CHECK(table.size() == 1);
  // The name is free again.
  CHECK(table.add("echo", "e2"));
  CHECK(*table.find("echo") == "e2");
}

TEST_CASE("route_table remove of an unknown name returns nothing") {
  route_table<int> table;
  CHECK_FALSE(table.remove("missing").has_value());
  REQUIRE(table.add("echo", 1));
  CHECK_FALSE(table.remove("missing").has_value());
  CHECK(table.size() == 1);
}

TEST_CASE("route_table names are sorted") {
  route_table<int> table;
  CHECK(table.names().empty());
  for (auto name : {"mul", "add", "echo", "zeta", "Beta", "add2", "a"})
    REQUIRE(table.add(name, 0));
  CHECK(table.names()
        == std::vector<std::string>{"Beta", "a", "add", "add2", "echo", "mul",
                                    "zeta"});
  REQUIRE(table.remove("echo").has_value());
  CHECK(table.names()
        == std::vector<std::string>{"Beta", "a", "add", "add2", "mul", "zeta"});
}

TEST_CASE("route_table for_each visits every route once") {
  route_table<int> table;
  REQUIRE(table.add("a", 1));
  REQUIRE(table.add("b", 2));
  REQUIRE(table.add("c", 3));
  std::map<std::string, int> seen;
  int visits = 0;
  table.for_each([&](const std::string& name, const int& route) {
    ++visits;
    seen.emplace(name, route);
  });
  CHECK(visits == 3);
  CHECK(seen == std::map<std::string, int>{{"a", 1}, {"b", 2}, {"c", 3}});
}

TEST_CASE("route_table holds shared routes like the registry does") {
  route_table<std::shared_ptr<int>> table;
  auto first = std::make_shared<int>(1);
  REQUIRE(table.add("echo", first));
  CHECK(first.use_count() == 2);
  auto old = table.replace("echo", std::make_shared<int>(2));
  REQUIRE(old.has_value());
  CHECK(old->get() == first.get());
  old.reset();
  // The table no longer holds the replaced route.
  CHECK(first.use_count() == 1);
  auto removed = table.remove("echo");
  REQUIRE(removed.has_value());
  REQUIRE(*removed != nullptr);
  CHECK(**removed == 2);
  CHECK(removed->use_count() == 1);
  CHECK(table.size() == 0);
}

TEST_CASE("route_table holds move-only routes") {
  route_table<std::unique_ptr<int>> table;
  REQUIRE(table.add("echo", std::make_unique<int>(1)));
  CHECK_FALSE(table.add("echo", std::make_unique<int>(9)));
  auto old = table.replace("echo", std::make_unique<int>(2));
  REQUIRE(old.has_value());
  CHECK(**old == 1);
  auto removed = table.remove("echo");
  REQUIRE(removed.has_value());
  CHECK(**removed == 2);
  CHECK(table.size() == 0);
}

TEST_CASE("route_table size tracks adds and removes") {
  route_table<int> table;
  for (int i = 0; i < 100; ++i)
    REQUIRE(table.add("r" + std::to_string(i), i));
  CHECK(table.size() == 100);
  for (int i = 0; i < 100; i += 2)
    REQUIRE(table.remove("r" + std::to_string(i)).has_value());
  CHECK(table.size() == 50);
  CHECK(table.names().size() == 50);
  CHECK(table.find("r0") == nullptr);
  REQUIRE(table.find("r1") != nullptr);
  CHECK(*table.find("r1") == 1);
}
