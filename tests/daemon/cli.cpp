// Black-box tests: the real `switchboard` binary, real config files, real
// sockets on 127.0.0.1 with ports the OS picks.

#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>
#include <memory>

#include "process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

const std::string bin = SWITCHBOARD_BIN;

/// A scratch directory for config files.
struct scratch {
  std::string dir;

  scratch() {
    char tmpl[] = "/tmp/sb-cli-XXXXXX";
    dir = mkdtemp(tmpl);
  }

  ~scratch() {
    std::string cmd = "rm -rf '" + dir + "'";
    static_cast<void>(std::system(cmd.c_str()));
  }

  std::string write(const std::string& name, const std::string& text) {
    auto path = dir + "/" + name;
    std::ofstream{path} << text;
    return path;
  }
};

/// A running `switchboard serve`, stopped with SIGTERM at the end.
struct daemon_process {
  std::unique_ptr<process> proc;
  std::string address;

  explicit daemon_process(const std::string& config) {
    proc = std::make_unique<process>(
      std::vector<std::string>{bin, "serve", "--config", config});
    auto line = proc->read_line(20s);
    const std::string prefix = "listening on ";
    REQUIRE(line.rfind(prefix, 0) == 0);
    address = line.substr(prefix.size());
  }

  process_result call(std::vector<std::string> args,
                      const std::string& input = {}) {
    std::vector<std::string> full{bin, "call", "--connect", address};
    full.insert(full.end(), args.begin(), args.end());
    return run(full, input);
  }

  process_result stop() {
    proc->signal(SIGTERM);
    return proc->wait(30s);
  }
};

std::string base_config(const std::string& extra = {}) {
  return "[node]\nname = \"test\"\nlisten = \"127.0.0.1:0\"\n\n"
         "[[route]]\nname = \"echo\"\nhandler = \"echo\"\nworkers = 2\n"
         + extra;
}

} // namespace

TEST_CASE("check-config accepts a valid file and exits 0") {
  scratch s;
  auto path = s.write("ok.toml", base_config());
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 0);
  CHECK(res.out.find("ok, 1 route(s)") != std::string::npos);
}

TEST_CASE("check-config reports a bad file as FILE:LINE:COL and exits 2") {
  scratch s;
  auto path = s.write("bad.toml", base_config("timeout = \"5 seconds\"\n"));
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK(res.err.find(path + ":9:11: ") != std::string::npos);
  CHECK(res.err.find("timeout") != std::string::npos);
}

TEST_CASE("check-config refuses an exec program that does not exist, at its value") {
  scratch s;
  auto path = s.write("exec.toml", base_config("\n[[route]]\nname = \"x\"\n"
                                               "exec = [\"/nonexistent/p\"]\n"));
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK(res.err.find(path + ":12:8: ") != std::string::npos);
  CHECK(res.err.find("does not exist") != std::string::npos);
}

TEST_CASE("check-config refuses a plugin that does not load, at its value") {
  scratch s;
  auto path = s.write("plugin.toml",
                      base_config("\n[[route]]\nname = \"p\"\n"
                                  "plugin = \"/nonexistent/libp.so\"\n"));
  auto res = run({bin, "check-config", path});
  CHECK(res.exit_code == 2);
  CHECK(res.err.find(path + ":12:10: ") != std::string::npos);
  CHECK(res.err.find("cannot load") != std::string::npos);
}

TEST_CASE("usage errors exit 2") {
  CHECK(run({bin, "call"}).exit_code == 2);
  CHECK(run({bin, "serve", "--bogus"}).exit_code == 2);
  CHECK(run({bin, "call", "--timeout", "soon", "echo", "x"}).exit_code == 2);
  CHECK(run({bin, "--help"}).exit_code == 0);
}

TEST_CASE("a served route answers calls; errors exit 1, an unreachable node 3") {
  scratch s;
  auto path = s.write(
    "serve.toml",
    base_config("\n[[route]]\nname = \"upper\"\nexec = [\"tr\", \"a-z\", "
                "\"A-Z\"]\n\n[[route]]\nname = \"hello\"\nplugin = \"" HELLO_PLUGIN_PATH
                "\"\n"));
  daemon_process d{path};
  auto echo = d.call({"echo", "hello"});
  CHECK(echo.exit_code == 0);
  CHECK(echo.out == "hello");
  auto piped = d.call({"upper"}, "from stdin");
  CHECK(piped.exit_code == 0);
  CHECK(piped.out == "FROM STDIN");
  auto plugin = d.call({"hello", "world"});
  CHECK(plugin.out == "hello, world");
  auto missing = d.call({"nope", "x"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("error: no_such_route: ") != std::string::npos);
  auto routes = run({bin, "routes", "--connect", d.address, "--json"});
  CHECK(routes.exit_code == 0);
  CHECK(routes.out.find("\"name\": \"upper\", \"kind\": \"exec\"")
        != std::string::npos);
  CHECK(routes.out.find("\"name\": \"hello\", \"kind\": \"plugin\"")
        != std::string::npos);
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  // Nobody listens there any more.
  auto gone = run({bin, "call", "--connect", d.address, "echo", "x"});
  CHECK(gone.exit_code == 3);
}

TEST_CASE("SIGTERM lets requests in flight finish, then the node exits 0") {
  scratch s;
  auto path = s.write(
    "drain.toml",
    base_config("\n[[route]]\nname = \"sleep\"\nhandler = \"sleep\"\n"
                "workers = 4\n"));
  daemon_process d{path};
  std::vector<std::unique_ptr<process>> calls;
  for (int i = 0; i < 4; ++i)
    calls.push_back(std::make_unique<process>(std::vector<std::string>{
      bin, "call", "--connect", d.address, "sleep", "1500ms"}));
  // Each client prints nothing until its reply: wait until the node
  // counts all four in flight, then stop it.
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto routes = run({bin, "routes", "--connect", d.address, "--json"});
    if (routes.out.find("\"name\": \"sleep\", \"kind\": \"async\", "
                        "\"workers\": 4, \"policy\": \"round_robin\", "
                        "\"in_flight\": 4")
        != std::string::npos)
      break;
  }
  d.proc->signal(SIGTERM);
  for (auto& c : calls) {
    auto res = c->wait(30s);
    CHECK(res.exit_code == 0);
    CHECK(res.out == "slept 1500ms");
  }
  auto stopped = d.proc->wait(30s);
  CHECK(stopped.exit_code == 0);
}

TEST_CASE("SIGHUP applies a valid new config and keeps the old one when invalid") {
  scratch s;
  auto path = s.write("reload.toml", base_config());
  daemon_process d{path};
  CHECK(d.call({"size", "abc"}).exit_code == 1); // no such route yet
  s.write("reload.toml",
          base_config("\n[[route]]\nname = \"size\"\nhandler = \"size\"\n"));
  d.proc->signal(SIGHUP);
  process_result res;
  for (int attempt = 0; attempt < 200 && res.out != "3"; ++attempt)
    res = d.call({"size", "abc"});
  CHECK(res.out == "3");
  s.write("reload.toml", "[[route]]\nname = \n");
  d.proc->signal(SIGHUP);
  // The broken file changes nothing: both routes keep serving.
  CHECK(d.call({"echo", "still"}).out == "still");
  CHECK(d.call({"size", "abcd"}).out == "4");
  auto stopped = d.stop();
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.err.find("reload: configuration invalid") != std::string::npos);
}

TEST_CASE("the annotated example configuration passes check-config") {
  auto res = run({bin, "check-config", EXAMPLE_CONFIG});
  CHECK(res.exit_code == 0);
}
