// plan_node's checks of routes: exec programs, plugin route names, route
// options; and that check-config and a SIGHUP reload see the same ones.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <string>

#include "daemon_process.hpp"
#include "switchboard/config/node_config.hpp"
#include "switchboard/daemon/node_setup.hpp"

using namespace switchboard;
using namespace switchboard::test;
using Catch::Matchers::Contains;

namespace {

daemon::node_plan plan_file(const std::string& file) {
  auto loaded = config::load_config_file(file);
  for (auto& x : loaded.problems)
    UNSCOPED_INFO(config::to_string(x));
  REQUIRE(loaded.config);
  return daemon::plan_node(*loaded.config);
}

/// Plans `text` and requires exactly one problem.
config::problem only_problem(scratch& s, const std::string& text) {
  auto plan = plan_file(s.write("node.toml", text));
  for (auto& x : plan.problems)
    UNSCOPED_INFO(config::to_string(x));
  REQUIRE(plan.problems.size() == 1);
  return plan.problems.front();
}

std::string pos(const config::problem& x) {
  return std::to_string(x.where.line) + ":" + std::to_string(x.where.column);
}

/// A route served by the names plugin, which adds the routes `list` names.
std::string names_route(const std::string& list) {
  return "[[route]]\nname = \"" + list + "\"\nplugin = \"" NAMES_PLUGIN_PATH
         "\"\n";
}

const std::string echo_route = "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n";

} // namespace

// -- exec ---------------------------------------------------------------------

TEST_CASE("plan_node refuses an exec program that is a directory") {
  scratch s;
  auto x = only_problem(s, "[[route]]\nname = \"x\"\nexec = [\"/tmp\"]\n");
  CHECK(pos(x) == "3:8");
  CHECK(x.message == "route 'x': exec program '/tmp' is a directory");
}

TEST_CASE("plan_node refuses an exec program that is not executable") {
  scratch s;
  auto file = s.write("plain.sh", "#!/bin/sh\necho hi\n");
  ::chmod(file.c_str(), 0644);
  auto x = only_problem(s, "[[route]]\nname = \"x\"\nexec = [\"" + file
                             + "\"]\n");
  CHECK(pos(x) == "3:8");
  CHECK_THAT(x.message, Contains("is not executable"));
}

TEST_CASE("plan_node runs a relative exec program from the configuration's "
          "directory") {
  scratch s;
  ::mkdir((s.dir + "/bin").c_str(), 0755);
  auto script = s.write("bin/hello.sh", "#!/bin/sh\necho hi\n");
  ::chmod(script.c_str(), 0755);
  auto plan = plan_file(
    s.write("node.toml", "[[route]]\nname = \"x\"\nexec = [\"bin/hello.sh\"]\n"));
  CHECK(plan.problems.empty());
  REQUIRE(plan.routes.size() == 1);
  CHECK(plan.routes[0].source.argv[0] == s.dir + "/bin/hello.sh");
}

// -- route options --------------------------------------------------------------

TEST_CASE("plan_node lets callers run built-in routes themselves, not exec "
          "or plugin routes") {
  scratch s;
  auto script = s.write("hello.sh", "#!/bin/sh\necho hi\n");
  ::chmod(script.c_str(), 0755);
  auto plan = plan_file(s.write(
    "node.toml", echo_route + "\n[[route]]\nname = \"x\"\nexec = [\""
                   + script + "\"]\n\n" + names_route("a")));
  CHECK(plan.problems.empty());
  REQUIRE(plan.routes.size() == 3);
  CHECK(plan.routes[0].spec.name == "echo");
  CHECK(plan.routes[0].spec.options.caller_runs);
  CHECK(plan.routes[1].spec.name == "x");
  CHECK_FALSE(plan.routes[1].spec.options.caller_runs);
  CHECK(plan.routes[2].spec.name == "a");
  CHECK_FALSE(plan.routes[2].spec.options.caller_runs);
}

TEST_CASE("plan_node refuses route options the router would refuse") {
  scratch s;
  auto x = only_problem(s, "[[route]]\nname = \"b\"\nhandler = \"echo\"\n"
                           "policy = \"broadcast\"\nworkers = 4\n"
                           "max_in_flight = 2\n");
  CHECK(pos(x) == "1:1");
  CHECK_THAT(x.message, Contains("route 'b': max_in_flight must be at least "
                                 "workers"));
}

// -- plugin route names ---------------------------------------------------------

TEST_CASE("plan_node accepts a plugin's routes with distinct, valid names") {
  scratch s;
  auto plan = plan_file(s.write("node.toml", echo_route + names_route("a,b")));
  CHECK(plan.problems.empty());
  REQUIRE(plan.routes.size() == 3);
  CHECK(plan.routes[1].spec.name == "a");
  CHECK(plan.routes[2].spec.name == "b");
}

TEST_CASE("plan_node refuses a plugin route with an empty name") {
  scratch s;
  auto x = only_problem(s, names_route("a,<empty>"));
  CHECK(pos(x) == "3:10");
  CHECK_THAT(x.message, Contains("adds a route with an unusable name"));
  CHECK_THAT(x.message, Contains("may not be empty"));
}

TEST_CASE("plan_node refuses a plugin route with a control character") {
  scratch s;
  auto x = only_problem(s, names_route("<newline>"));
  CHECK_THAT(x.message, Contains("control"));
}

TEST_CASE("plan_node refuses a plugin that adds one name twice") {
  scratch s;
  auto x = only_problem(s, names_route("a,b,a"));
  CHECK(pos(x) == "3:10");
  CHECK_THAT(x.message, Contains("adds a route named 'a' twice"));
}

TEST_CASE("plan_node refuses a plugin route named like a configured route, "
          "wherever the route stands") {
  scratch s;
  auto before = only_problem(s, names_route("x,echo") + echo_route);
  CHECK(pos(before) == "3:10");
  CHECK_THAT(before.message,
             Contains("named 'echo', which the [[route]] at line 4 already "
                      "has"));
  auto after = only_problem(s, echo_route + names_route("x,echo"));
  CHECK(pos(after) == "6:10");
  CHECK_THAT(after.message, Contains("duplicate route name"));
}

TEST_CASE("plan_node refuses two plugins that add the same name") {
  scratch s;
  auto x = only_problem(s, names_route("a,b") + names_route("c,b"));
  CHECK(pos(x) == "6:10");
  CHECK_THAT(x.message, Contains("which the plugin of route 'a,b' (line 1) "
                                 "already has"));
}

TEST_CASE("plan_node refuses a plugin route without a handler factory") {
  scratch s;
  auto x = only_problem(s, names_route("a,<nohandler>"));
  CHECK(pos(x) == "3:10");
  CHECK_THAT(x.message, Contains("'nohandler' without a handler factory"));
}

TEST_CASE("a plugin with a bad name contributes no route at all") {
  scratch s;
  auto plan = plan_file(s.write("node.toml", names_route("a,a")));
  CHECK(plan.problems.size() == 1);
  CHECK(plan.routes.empty());
}

// -- the real binary ------------------------------------------------------------

TEST_CASE("check-config refuses a plugin's duplicate route at the plugin and "
          "exits 2") {
  scratch s;
  auto path = s.write("node.toml", echo_route + names_route("p,echo"));
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK_THAT(res.err, Contains(path + ":6:10: "));
  CHECK_THAT(res.err, Contains("duplicate route name"));
}

TEST_CASE("check-config refuses an exec directory and a non-loopback listen") {
  scratch s;
  auto path = s.write("node.toml",
                      "[node]\nlisten = \"0.0.0.0:0\"\n"
                      "[[route]]\nname = \"x\"\nexec = [\"/tmp\"]\n");
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK_THAT(res.err, Contains(path + ":2:10: node.listen '0.0.0.0:0'"));
  // The reader's problems stop the check before plan_node.
  CHECK(res.err.find("is a directory") == std::string::npos);
  auto fixed = s.write("node.toml",
                       "[node]\nlisten = \"0.0.0.0:0\"\ninsecure = true\n"
                       "[[route]]\nname = \"x\"\nexec = [\"/tmp\"]\n");
  auto next = run({bin, "check-config", fixed});
  CHECK(next.exit_code == 2);
  CHECK_THAT(next.err, Contains(fixed + ":6:8: route 'x': exec program "
                                        "'/tmp' is a directory"));
}

TEST_CASE("serve refuses a non-loopback listen without [tls] and exits 2") {
  scratch s;
  auto path = s.write("node.toml", "[node]\nlisten = \"0.0.0.0:0\"\n");
  auto res = run({bin, "serve", "--config", path});
  CHECK(res.exit_code == 2);
  CHECK_THAT(res.err, Contains("plain TCP has no authentication"));
}

TEST_CASE("a SIGHUP reload with a plugin's duplicate route is refused with "
          "the problem, and the old routes keep serving") {
  scratch s;
  auto base = "[node]\nlisten = \"127.0.0.1:0\"\n" + echo_route;
  auto path = s.write("node.toml", base);
  daemon_process d{path};
  s.write("node.toml", base + names_route("size,echo"));
  d.proc->signal(SIGHUP);
  CHECK(d.proc->wait_for_err("duplicate route name", 20s));
  CHECK(d.proc->wait_for_err("reload: configuration invalid", 20s));
  CHECK(d.call({"echo", "still"}).out == "still");
  // Nothing of the refused plugin was added.
  CHECK(d.call({"size", "x"}).exit_code == 1);
  CHECK(d.stop().exit_code == 0);
}
