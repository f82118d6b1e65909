// exec routes on a real actor system: real children, real pipes. Every
// wait is bounded by the route's deadline.

#include <catch2/catch.hpp>

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "node.hpp"

using namespace switchboard;
using namespace switchboard::daemon;
using switchboard::test::node;
using namespace std::chrono_literals;

namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/sb-exec-XXXXXX";
  REQUIRE(mkdtemp(tmpl) != nullptr);
  return tmpl;
}

} // namespace

TEST_CASE("an exec route replies with the program's stdout") {
  node n;
  REQUIRE(!n.add_exec("upper", {{"/usr/bin/tr", "a-z", "A-Z"}, {}}));
  auto out = n.call("upper", "hello, exec");
  REQUIRE(out);
  CHECK(*out == "HELLO, EXEC");
}

TEST_CASE("an exec route gives the child exactly the configured environment") {
  node n;
  REQUIRE(!n.add_exec("env", {{"/usr/bin/env"}, {{"LC_ALL", "C"}, {"A", "1"}}}));
  auto out = n.call("env", "");
  REQUIRE(out);
  CHECK(*out == "A=1\nLC_ALL=C\n");
}

TEST_CASE("a failing program answers handler_failed with the tail of stderr") {
  node n;
  REQUIRE(!n.add_exec("fail",
                      {{"/bin/sh", "-c", "echo broken pipe dream >&2; exit 3"},
                       {}}));
  auto out = n.call("fail", "x");
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::handler_failed);
  auto text = message_of(out.error());
  CHECK(text.find("status 3") != std::string::npos);
  CHECK(text.find("broken pipe dream") != std::string::npos);
}

TEST_CASE("a program that cannot be started answers handler_failed") {
  node n;
  REQUIRE(!n.add_exec("missing", {{"/nonexistent/program"}, {}}));
  auto out = n.call("missing", "x");
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::handler_failed);
  CHECK(message_of(out.error()).find("/nonexistent/program")
        != std::string::npos);
}

TEST_CASE("a child past its deadline is killed, reaped, and the caller gets timeout") {
  auto dir = temp_dir();
  auto pid_file = dir + "/pid";
  pid_t pid = 0;
  {
    node n;
    REQUIRE(!n.add_exec("slow",
                        {{"/bin/sh", "-c", "echo $$ > \"$0\"; exec sleep 30",
                          pid_file},
                         {}},
                        500ms));
    auto started = std::chrono::steady_clock::now();
    auto out = n.call("slow", "");
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(!out);
    CHECK(code_of(out.error()) == error_code::timeout);
    CHECK(took < 10s);
    std::ifstream{pid_file} >> pid;
    REQUIRE(pid > 0);
    // The caller's own timer and the worker's kill fire at the same
    // deadline; wait (on an event, bounded) until the child has exited.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (fd >= 0) {
      pollfd pfd{fd, POLLIN, 0};
      CHECK(::poll(&pfd, 1, 5000) == 1);
      ::close(fd);
    }
  }
  // The node is gone: its worker reaped every child. Not even a zombie.
  CHECK(::kill(pid, 0) == -1);
  CHECK(errno == ESRCH);
  std::remove(pid_file.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("output larger than max_payload kills the child and fails the call") {
  node n;
  exec_spec spec{{"/usr/bin/head", "-c", "3000000", "/dev/zero"}, {}};
  spec.max_payload = 1024 * 1024;
  REQUIRE(!n.add_exec("big", spec));
  auto out = n.call("big", "");
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::handler_failed);
  CHECK(message_of(out.error()).find("max_payload") != std::string::npos);
}

TEST_CASE("a payload larger than max_payload is refused before anything runs") {
  node n;
  exec_spec spec{{"/bin/cat"}, {}};
  spec.max_payload = 16;
  REQUIRE(!n.add_exec("small", spec));
  auto out = n.call("small", std::string(17, 'x'));
  REQUIRE(!out);
  CHECK(code_of(out.error()) == error_code::bad_request);
  auto ok = n.call("small", std::string(16, 'x'));
  REQUIRE(ok);
  CHECK(ok->size() == 16);
}

TEST_CASE("large input and output pass through the pipes intact") {
  node n;
  REQUIRE(!n.add_exec("cat", {{"/bin/cat"}, {}}));
  std::string payload(700 * 1024, '\0');
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>(i * 7);
  auto out = n.call("cat", payload);
  REQUIRE(out);
  CHECK(*out == payload);
}

TEST_CASE("children waiting do not stall the scheduler: other routes answer meanwhile") {
  node n;
  REQUIRE(!n.add_exec("sleepy", {{"/bin/sleep", "3"}, {}}, 10s, 4));
  REQUIRE(!n.sb->add("echo", [](std::string x) { return x; }));
  // Four children sleep on two scheduler threads; echo must still answer
  // before any of them is done.
  caf::scoped_actor waiter{*n.sys};
  auto dest = caf::actor{waiter};
  auto ref = n.sb->ref();
  for (int i = 0; i < 4; ++i)
    n.sys->spawn([=](caf::event_based_actor* self) {
      ref.call(self, "sleepy", std::string{})
        .then(
          [self, dest](std::string) {
            self->send(dest, std::string{"sleepy"});
            self->quit();
          },
          [self, dest](caf::error&) {
            self->send(dest, std::string{"sleepy-error"});
            self->quit();
          });
      return caf::behavior{[](int32_t) {}};
    });
  auto echo = n.call("echo", "still here");
  REQUIRE(echo);
  CHECK(*echo == "still here");
  // Echo came back while every sleeper is still running.
  bool early = false;
  waiter->receive([&](std::string&) { early = true; },
                  caf::after(std::chrono::seconds{0}) >> [] {});
  CHECK(!early);
  std::vector<std::string> order;
  for (int i = early ? 1 : 0; i < 4; ++i)
    waiter->receive([&](std::string& x) { order.push_back(x); });
  CHECK(order.size() == (early ? 3u : 4u));
  CHECK(std::all_of(order.begin(), order.end(),
                    [](const std::string& x) { return x == "sleepy"; }));
}

TEST_CASE("a child that exits without reading its input does not hurt the node") {
  node n;
  REQUIRE(!n.add_exec("ignore", {{"/bin/true"}, {}}));
  // Large enough not to fit the pipe buffer: the write hits a closed pipe.
  for (int i = 0; i < 5; ++i) {
    auto out = n.call("ignore", std::string(1024 * 1024, 'x'));
    REQUIRE(out);
    CHECK(out->empty());
  }
}
