// exec routes on a real actor system: real children, real pipes. Every
// wait is bounded by the route's deadline.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <optional>
#include <thread>
#include <vector>

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

namespace {

/// Calls `route` `n` times at once; waits for every reply (each bounded by
/// the route's deadline).
std::vector<caf::expected<std::string>>
call_concurrently(node& n, const std::string& route, size_t count,
                  caf::timespan timeout = std::chrono::seconds{5}) {
  caf::scoped_actor waiter{*n.sys};
  auto dest = caf::actor{waiter};
  auto ref = n.sb->ref();
  for (size_t i = 0; i < count; ++i)
    n.sys->spawn([=](caf::event_based_actor* self) {
      ref.call(self, route, std::string{})
        .timeout(timeout)
        .then(
          [self, dest](std::string out) {
            self->send(dest, std::move(out));
            self->quit();
          },
          [self, dest](caf::error& err) {
            self->send(dest, err);
            self->quit();
          });
      return caf::behavior{[](int32_t) {}};
    });
  std::vector<caf::expected<std::string>> results;
  for (size_t i = 0; i < count; ++i)
    waiter->receive(
      [&](std::string& out) { results.emplace_back(std::move(out)); },
      [&](caf::error& err) { results.emplace_back(std::move(err)); });
  return results;
}

size_t lines_in(const std::string& path) {
  std::ifstream in{path};
  size_t n = 0;
  for (std::string line; std::getline(in, line);)
    ++n;
  return n;
}

} // namespace

TEST_CASE("an exec route with one worker runs one child at a time and "
          "answers every call") {
  auto dir = temp_dir();
  // mkdir is atomic: a child that finds the lock taken overlaps another.
  auto script = "if mkdir \"$0/lock\" 2>/dev/null; then :; else "
                "echo overlap >> \"$0/overlaps\"; fi; "
                "echo started >> \"$0/starts\"; sleep 0.05; "
                "rmdir \"$0/lock\" 2>/dev/null; echo done";
  node n;
  REQUIRE(!n.add_exec("serial", {{"/bin/sh", "-c", script, dir}, {}}, 30s, 1));
  auto results = call_concurrently(n, "serial", 10);
  REQUIRE(results.size() == 10);
  for (auto& r : results) {
    REQUIRE(r);
    CHECK(*r == "done\n");
  }
  CHECK(lines_in(dir + "/starts") == 10);
  CHECK(lines_in(dir + "/overlaps") == 0);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("a call whose deadline passes while it waits for a child gets "
          "timeout and never starts one") {
  auto dir = temp_dir();
  auto starts = dir + "/starts";
  auto fifo = dir + "/started";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // Opened first (without blocking), so the child's write finds a reader.
  int ready = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  REQUIRE(ready >= 0);
  node n;
  REQUIRE(!n.add_exec("slow",
                      {{"/bin/sh", "-c",
                        "echo started >> \"$0\"; echo go > \"$1\"; "
                        "exec sleep 2",
                        starts, fifo},
                       {}},
                      10s, 1));
  // The first call takes the route's only child slot...
  std::vector<caf::expected<std::string>> first;
  std::thread holder{[&] { first = call_concurrently(n, "slow", 1, 10s); }};
  pollfd pfd{ready, POLLIN, 0};
  REQUIRE(::poll(&pfd, 1, 10000) == 1);
  // ...so two calls with short deadlines wait, and time out waiting.
  auto waiting = call_concurrently(n, "slow", 2, 300ms);
  holder.join();
  ::close(ready);
  REQUIRE(waiting.size() == 2);
  for (auto& r : waiting) {
    REQUIRE(!r);
    CHECK(code_of(r.error()) == error_code::timeout);
  }
  REQUIRE(first.size() == 1);
  CHECK(first[0]);
  CHECK(lines_in(starts) == 1);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("a background grandchild holding stdout open does not delay the "
          "reply, and is killed with its process group") {
  auto dir = temp_dir();
  auto pid_file = dir + "/grandchild";
  // The test adopts orphans, so it can reap the grandchild and see how it
  // ended.
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  pid_t grandchild = 0;
  {
    node n;
    REQUIRE(!n.add_exec("bg",
                        {{"/bin/sh", "-c",
                          "sleep 30 & echo $! > \"$0\"; echo hi", pid_file},
                         {}},
                        20s));
    auto started = std::chrono::steady_clock::now();
    auto out = n.call("bg", "");
    auto took = std::chrono::steady_clock::now() - started;
    REQUIRE(out);
    CHECK(*out == "hi\n");
    CHECK(took < 10s);
    std::ifstream{pid_file} >> grandchild;
    REQUIRE(grandchild > 0);
    // The grandchild was killed before the reply; it is (or will be) an
    // orphan of this process. Wait for it, bounded.
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
    if (fd >= 0) {
      pollfd pfd{fd, POLLIN, 0};
      CHECK(::poll(&pfd, 1, 5000) == 1);
      ::close(fd);
    }
  }
  int status = 0;
  auto reaped = ::waitpid(grandchild, &status, WNOHANG);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  if (reaped == grandchild) {
    CHECK(WIFSIGNALED(status));
    CHECK(WTERMSIG(status) == SIGKILL);
  }
  CHECK(::kill(grandchild, 0) == -1);
  CHECK(errno == ESRCH);
  std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("a grandchild is killed with its group when the child times out") {
  auto dir = temp_dir();
  auto pid_file = dir + "/grandchild";
  REQUIRE(::prctl(PR_SET_CHILD_SUBREAPER, 1) == 0);
  pid_t grandchild = 0;
  {
    node n;
    REQUIRE(!n.add_exec("stuck",
                        {{"/bin/sh", "-c",
                          "sleep 30 & echo $! > \"$0\"; wait", pid_file},
                         {}},
                        1s));
    auto out = n.call("stuck", "");
    REQUIRE(!out);
    CHECK(code_of(out.error()) == error_code::timeout);
    std::ifstream{pid_file} >> grandchild;
    REQUIRE(grandchild > 0);
    int fd = static_cast<int>(::syscall(SYS_pidfd_open, grandchild, 0));
    if (fd >= 0) {
      pollfd pfd{fd, POLLIN, 0};
      CHECK(::poll(&pfd, 1, 5000) == 1);
      ::close(fd);
    }
  }
  int status = 0;
  if (::waitpid(grandchild, &status, WNOHANG) == grandchild)
    CHECK(WTERMSIG(status) == SIGKILL);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  CHECK(::kill(grandchild, 0) == -1);
  CHECK(errno == ESRCH);
  std::system(("rm -rf '" + dir + "'").c_str());
}
