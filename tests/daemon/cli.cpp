// Black-box tests: the real `switchboard` binary, real config files, real
// sockets on 127.0.0.1 with ports the OS picks.

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "daemon_process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

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

TEST_CASE("a served route answers calls, a route error exits 1 and an unreachable node 3") {
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

TEST_CASE("check-config reports each class of problem at its line and column") {
  struct bad_case {
    const char* toml;
    const char* where;
    const char* says;
  };
  const bad_case cases[] = {
    {"[node]\nname = \"a\"\nlisten = \n", "3:10", ""},                 // syntax
    {"[node]\nlistne = \"127.0.0.1:1\"\n", "2:1", "listne"},           // unknown key
    {"[limits]\nmax_in_flight = \"many\"\n", "2:17", "max_in_flight"}, // type
    {"[limits]\ntimeout = \"5 s\"\n", "2:11", "timeout"},              // duration
    {"[limits]\nmax_payload = \"1MB\"\n", "2:15", "max_payload"},      // size
    {"[[route]]\nname = \"a\"\nhandler = \"echo\"\n[[route]]\nname = \"a\"\n"
     "handler = \"echo\"\n",
     "5:8", "duplicate"},                                             // dup
    {"[[route]]\nname = \"a\"\n", "1:1", "needs one of"},             // none
    {"[[route]]\nname = \"a\"\nhandler = \"echo\"\nexec = [\"/bin/cat\"]\n",
     "4:8", "both"},                                                  // two
    {"[[route]]\nname = \"a\"\nexec = [\"/tmp/sb-cli-plain\"]\n", "3:8",
     "not executable"},                                               // exec
    {"[[route]]\nname = \"a\"\nplugin = \"/tmp/sb-cli-plain\"\n", "3:10",
     "cannot load"},                                                  // plugin
    {"[[route]]\nname = \"a\"\nplugin = \"libm.so.6\"\n", "3:10",
     "switchboard_plugin_init"},                                      // entry
    {"[node]\nlisten = \"localhost\"\n", "2:10", "listen"},           // listen
  };
  scratch s;
  // A plain file: neither executable nor a shared library.
  std::ofstream{"/tmp/sb-cli-plain"} << "plain\n";
  ::chmod("/tmp/sb-cli-plain", 0644);
  for (auto& c : cases) {
    auto path = s.write("case.toml", c.toml);
    auto res = run({bin, "check-config", path});
    INFO(c.toml << "\n-> " << res.err);
    CHECK(res.exit_code == 2);
    CHECK(res.err.find(path + ":" + c.where + ": ") != std::string::npos);
    CHECK(res.err.find(c.says) != std::string::npos);
  }
}

TEST_CASE("a reload that removes a route lets its in-flight request finish") {
  scratch s;
  auto path = s.write("r.toml", base_config("\n[[route]]\nname = \"sleep\"\n"
                                            "handler = \"sleep\"\n"));
  daemon_process d{path};
  process slow{{bin, "call", "--connect", d.address, "sleep", "1500ms"}};
  for (int attempt = 0; attempt < 200; ++attempt) {
    auto routes = run({bin, "routes", "--connect", d.address, "--json"});
    if (routes.out.find("\"name\": \"sleep\", \"kind\": \"async\", "
                        "\"workers\": 1, \"policy\": \"round_robin\", "
                        "\"in_flight\": 1")
        != std::string::npos)
      break;
  }
  s.write("r.toml", base_config());
  d.proc->signal(SIGHUP);
  process_result gone;
  for (int attempt = 0; attempt < 200 && gone.exit_code != 1; ++attempt)
    gone = d.call({"sleep", "1ms"});
  CHECK(gone.err.find("no_such_route") != std::string::npos);
  auto res = slow.wait(30s);
  CHECK(res.exit_code == 0);
  CHECK(res.out == "slept 1500ms");
  CHECK(d.stop().exit_code == 0);
}

TEST_CASE("exec routes through the daemon: failure, timeout and oversized output") {
  scratch s;
  auto path = s.write(
    "x.toml",
    base_config("\n[[route]]\nname = \"bad\"\nexec = [\"/bin/sh\", \"-c\", "
                "\"echo oops >&2; exit 4\"]\n"
                "\n[[route]]\nname = \"slow\"\nexec = [\"/bin/sleep\", \"30\"]\n"
                "timeout = \"300ms\"\n"
                "\n[[route]]\nname = \"big\"\nexec = [\"/usr/bin/head\", \"-c\", "
                "\"5000\", \"/dev/zero\"]\nmax_payload = \"1KiB\"\n"));
  daemon_process d{path};
  auto bad = d.call({"bad", "x"});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("error: handler_failed: ") != std::string::npos);
  CHECK(bad.err.find("oops") != std::string::npos);
  auto slow = d.call({"slow", "x"});
  CHECK(slow.exit_code == 1);
  CHECK(slow.err.find("error: timeout: ") != std::string::npos);
  auto big = d.call({"big", "x"});
  CHECK(big.exit_code == 1);
  CHECK(big.err.find("max_payload") != std::string::npos);
  CHECK(d.stop().exit_code == 0);
}

TEST_CASE("an exec child past its deadline is gone afterwards, not left a zombie") {
  scratch s;
  auto pid_file = s.dir + "/child.pid";
  auto path = s.write(
    "z.toml",
    base_config("\n[[route]]\nname = \"slow\"\nexec = [\"/bin/sh\", \"-c\", "
                "\"echo $$ > " + pid_file + "; exec sleep 30\"]\n"
                "timeout = \"300ms\"\n"));
  daemon_process d{path};
  auto slow = d.call({"slow", "x"});
  CHECK(slow.exit_code == 1);
  CHECK(slow.err.find("error: timeout: ") != std::string::npos);
  pid_t pid = 0;
  std::ifstream{pid_file} >> pid;
  REQUIRE(pid > 0);
  // Wait (bounded, on an event) for the child to exit...
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd >= 0) {
    pollfd pfd{fd, POLLIN, 0};
    CHECK(::poll(&pfd, 1, 10000) == 1);
    ::close(fd);
  }
  // ...and once the node stopped, nothing of it is left, not even a zombie.
  CHECK(d.stop().exit_code == 0);
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
}
