// plan_node's checks of `[tls]`: what only the machine can tell about the
// files a configuration names.

#include <catch2/catch.hpp>

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "scratch.hpp"
#include "switchboard/config/node_config.hpp"
#include "switchboard/daemon/node_setup.hpp"

using namespace switchboard;
using switchboard::test::scratch;

namespace {

/// Loads `file`, requires that it parses, and plans it.
daemon::node_plan plan_file(const std::string& file) {
  auto loaded = config::load_config_file(file);
  for (auto& x : loaded.problems)
    UNSCOPED_INFO(config::to_string(x));
  REQUIRE(loaded.config);
  return daemon::plan_node(*loaded.config);
}

constexpr const char* pem = "-----BEGIN CERTIFICATE-----\n"
                            "-----END CERTIFICATE-----\n";

} // namespace

TEST_CASE("plan_node accepts [tls] files that exist and can be read") {
  scratch s;
  s.write("node.pem", pem);
  s.write("node.key", pem);
  s.write("ca.pem", pem);
  auto file = s.write("node.toml", R"([[route]]
name = "echo"
handler = "echo"
[tls]
certificate = "node.pem"
key = "node.key"
ca = "ca.pem"
)");
  auto plan = plan_file(file);
  for (auto& x : plan.problems)
    UNSCOPED_INFO(config::to_string(x));
  CHECK(plan.problems.empty());
  CHECK(plan.routes.size() == 1);
}

TEST_CASE("plan_node rejects a missing TLS file at its value with the "
          "reason") {
  scratch s;
  s.write("node.key", pem);
  s.write("ca.pem", pem);
  auto file = s.write("node.toml", R"([node]
name = "n"
[tls]
certificate = "missing/node.pem"
key = "node.key"
ca = "ca.pem"
)");
  auto plan = plan_file(file);
  REQUIRE(plan.problems.size() == 1);
  CHECK(config::to_string(plan.problems[0])
        == file + ":4:15: tls.certificate: cannot read '" + s.dir
             + "/missing/node.pem': No such file or directory");
}

TEST_CASE("plan_node rejects a TLS path that is a directory") {
  scratch s;
  s.write("node.pem", pem);
  s.write("ca.pem", pem);
  REQUIRE(mkdir((s.dir + "/keys").c_str(), 0700) == 0);
  auto file = s.write("node.toml", R"([tls]
certificate = "node.pem"
  key = "keys"
ca = "ca.pem"
)");
  auto plan = plan_file(file);
  REQUIRE(plan.problems.size() == 1);
  CHECK(config::to_string(plan.problems[0])
        == file + ":3:9: tls.key: cannot read '" + s.dir
             + "/keys': Is a directory");
}

// Permission bits do not stop root, so this one only runs as a user.
TEST_CASE("plan_node rejects a TLS file without read permission") {
  if (geteuid() == 0) {
    WARN("running as root: permission bits cannot make a file unreadable");
    return;
  }
  scratch s;
  s.write("node.pem", pem);
  s.write("node.key", pem);
  auto ca = s.write("ca.pem", pem);
  REQUIRE(chmod(ca.c_str(), 0) == 0);
  auto file = s.write("node.toml", R"([tls]
certificate = "node.pem"
key = "node.key"
ca = "ca.pem"
)");
  auto plan = plan_file(file);
  REQUIRE(plan.problems.size() == 1);
  CHECK(config::to_string(plan.problems[0])
        == file + ":4:6: tls.ca: cannot read '" + ca + "': Permission denied");
}

TEST_CASE("plan_node reports every unreadable TLS file and route problem in "
          "document order") {
  scratch s;
  auto file = s.write("node.toml", R"([tls]
certificate = "/nonexistent/node.pem"
key = "/nonexistent/node.key"
ca = "/nonexistent/ca.pem"
[[route]]
name = "a"
handler = "no-such-builtin"
)");
  auto plan = plan_file(file);
  REQUIRE(plan.problems.size() == 4);
  auto at = [](const config::problem& x) {
    return std::to_string(x.where.line) + ":" + std::to_string(x.where.column);
  };
  CHECK(at(plan.problems[0]) == "2:15");
  CHECK_THAT(plan.problems[0].message, Catch::StartsWith("tls.certificate"));
  CHECK(at(plan.problems[1]) == "3:7");
  CHECK_THAT(plan.problems[1].message, Catch::StartsWith("tls.key"));
  CHECK(at(plan.problems[2]) == "4:6");
  CHECK_THAT(plan.problems[2].message, Catch::StartsWith("tls.ca"));
  CHECK(at(plan.problems[3]) == "7:11");
  CHECK_THAT(plan.problems[3].message,
             Catch::Contains("unknown built-in handler"));
}

TEST_CASE("plan_node reports a TLS problem after an earlier route's "
          "problem") {
  scratch s;
  auto file = s.write("node.toml", R"([[route]]
name = "a"
handler = "no-such-builtin"
[tls]
certificate = "/nonexistent/node.pem"
key = "/dev/null"
ca = "/dev/null"
)");
  auto plan = plan_file(file);
  REQUIRE(plan.problems.size() == 2);
  CHECK(plan.problems[0].where.line == 3);
  CHECK(plan.problems[1].where.line == 5);
  CHECK_THAT(plan.problems[1].message, Catch::StartsWith("tls.certificate"));
}
