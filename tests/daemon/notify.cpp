// The node and systemd's Type=notify: the test plays the service manager
// with a datagram socket in NOTIFY_SOCKET and reads what the node says.

#include <catch2/catch.hpp>

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "daemon_process.hpp"

using namespace switchboard::test;
using namespace std::chrono_literals;

namespace {

/// The service manager's end of NOTIFY_SOCKET: a bound datagram socket.
struct notify_socket {
  std::string path;
  int fd = -1;

  explicit notify_socket(const std::string& dir) : path(dir + "/notify") {
    fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    REQUIRE(path.size() < sizeof(addr.sun_path));
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
            == 0);
  }

  ~notify_socket() {
    ::close(fd);
  }

  /// The next notification, or empty when none arrives within `limit`.
  std::string next(std::chrono::milliseconds limit = 20s) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(limit.count())) != 1)
      return {};
    char buf[4096];
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string{};
  }
};

/// Whether the notification `msg` has the line `line`.
bool has_line(const std::string& msg, const std::string& line) {
  return ("\n" + msg + "\n").find("\n" + line + "\n") != std::string::npos;
}

/// The value of `key=` in `msg`, or empty.
std::string value_of(const std::string& msg, const std::string& key) {
  auto text = "\n" + msg + "\n";
  auto at = text.find("\n" + key + "=");
  if (at == std::string::npos)
    return {};
  at += key.size() + 2;
  return text.substr(at, text.find('\n', at) - at);
}

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u
         + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

std::string config(const std::string& extra = {}) {
  return "[node]\nname = \"notify\"\nlisten = \"127.0.0.1:0\"\n\n"
         "[[route]]\nname = \"echo\"\nhandler = \"echo\"\n"
         + extra;
}

} // namespace

#ifdef SWITCHBOARD_SD_NOTIFY

TEST_CASE("the node sends sd_notify READY, RELOADING, STOPPING at start, reload, stop") {
  scratch s;
  notify_socket manager{s.dir};
  auto path = s.write("node.toml", config());
  daemon_process d{path, {"NOTIFY_SOCKET=" + manager.path}};
  // READY=1 comes after "listening on" and names the address: the node
  // answers calls as soon as systemd considers it started.
  auto ready = manager.next();
  CHECK(has_line(ready, "READY=1"));
  CHECK(value_of(ready, "STATUS") == "listening on " + d.address);
  CHECK(d.call({"echo", "up"}).out == "up");
  SECTION("a reload is framed by RELOADING=1 and READY=1") {
    s.write("node.toml",
            config("\n[[route]]\nname = \"size\"\nhandler = \"size\"\n"));
    auto before = monotonic_usec();
    d.proc->signal(SIGHUP);
    auto reloading = manager.next();
    auto after = monotonic_usec();
    CHECK(has_line(reloading, "RELOADING=1"));
    auto stamp = std::stoull("0" + value_of(reloading, "MONOTONIC_USEC"));
    CHECK(stamp >= before);
    CHECK(stamp <= after);
    auto reloaded = manager.next();
    CHECK(has_line(reloaded, "READY=1"));
    CHECK(value_of(reloaded, "STATUS") == "listening on " + d.address);
    // READY=1 follows the reload: the new route serves.
    CHECK(d.proc->wait_for_err("reloaded: 1 added", 1s));
    CHECK(d.call({"size", "abc"}).out == "3");
  }
  SECTION("a rejected reload ends in READY=1 too") {
    s.write("node.toml", "[[route]]\nname = \n");
    d.proc->signal(SIGHUP);
    CHECK(has_line(manager.next(), "RELOADING=1"));
    CHECK(has_line(manager.next(), "READY=1"));
    CHECK(d.proc->wait_for_err("reload: configuration invalid", 1s));
    CHECK(d.call({"echo", "still"}).out == "still");
  }
  d.proc->signal(SIGTERM);
  auto stopping = manager.next();
  CHECK(has_line(stopping, "STOPPING=1"));
  auto res = d.proc->wait(30s);
  CHECK(res.exit_code == 0);
  // Nothing after STOPPING=1.
  CHECK(manager.next(0ms).empty());
}

#else

TEST_CASE("a node built without libsystemd serves and sends no notify message") {
  scratch s;
  notify_socket manager{s.dir};
  daemon_process d{s.write("node.toml", config()),
                   {"NOTIFY_SOCKET=" + manager.path}};
  CHECK(d.call({"echo", "up"}).out == "up");
  CHECK(d.stop().exit_code == 0);
  CHECK(manager.next(0ms).empty());
}

#endif

TEST_CASE("a node serves, reloads and stops when nobody reads its notify socket") {
  scratch s;
  daemon_process d{s.write("node.toml", config()),
                   {"NOTIFY_SOCKET=" + s.dir + "/nobody"}};
  CHECK(d.call({"echo", "up"}).out == "up");
  d.proc->signal(SIGHUP);
  CHECK(d.proc->wait_for_err("reloaded:", 20s));
  CHECK(d.stop().exit_code == 0);
}
