#pragma once

// Real actor systems joined into a mesh over 127.0.0.1, for the mesh's
// library tests. Every wait is bounded; nothing sleeps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/mesh.hpp"
#include "switchboard/switchboard.hpp"

namespace switchboard::test {

using namespace std::chrono_literals;

using steady = std::chrono::steady_clock;

/// What a mesh logged, for tests that wait for a state change the blocking
/// API does not expose (a route that is gone, a peer that went down).
struct log_sink {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<std::string> lines;

  void add(const std::string& line) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      lines.push_back(line);
    }
    changed.notify_all();
  }

  /// The number of lines so far: pass it to `wait_for` to ignore them.
  size_t mark() {
    std::lock_guard<std::mutex> guard{mtx};
    return lines.size();
  }

  /// Waits at most `timeout` for a line (from index `from` on) that
  /// contains one of `needles`; returns the index of that needle.
  std::optional<size_t> wait_for_any(const std::vector<std::string>& needles,
                                     caf::timespan timeout, size_t from = 0) {
    std::optional<size_t> found;
    auto seen = [&] {
      auto first = std::min(from, lines.size());
      for (auto i = first; i < lines.size(); ++i)
        for (size_t j = 0; j < needles.size(); ++j)
          if (lines[i].find(needles[j]) != std::string::npos) {
            found = j;
            return true;
          }
      return false;
    };
    std::unique_lock<std::mutex> guard{mtx};
    changed.wait_for(guard, timeout, seen);
    return found;
  }

  /// Waits at most `timeout` for a line (from index `from` on) that
  /// contains `needle`.
  bool wait_for(const std::string& needle, caf::timespan timeout,
                size_t from = 0) {
    return wait_for_any({needle}, timeout, from).has_value();
  }

  std::string all() {
    std::lock_guard<std::mutex> guard{mtx};
    std::string result;
    for (auto& x : lines)
      result += x + "\n";
    return result;
  }
};

/// One call issued without waiting: the outcome and when it arrived.
struct async_call {
  std::mutex mtx;
  std::condition_variable changed;
  bool done = false;
  caf::expected<caf::message> result{caf::error{}};
  steady::time_point ended;

  void finish(caf::expected<caf::message> x) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      result = std::move(x);
      ended = steady::now();
      done = true;
    }
    changed.notify_all();
  }

  /// Waits at most `timeout` for the outcome.
  bool wait(caf::timespan timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, timeout, [&] { return done; });
  }
};

using async_call_ptr = std::shared_ptr<async_call>;

/// Returns a port of 127.0.0.1 that was free a moment ago (bound, read,
/// closed), or 0.
inline uint16_t free_port() {
  auto fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return 0;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  uint16_t result = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
      && ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    result = ntohs(addr.sin_port);
  ::close(fd);
  return result;
}

/// Milliseconds since the first call (the first node), to time the lines
/// a test shows.
inline long long millis_since_start() {
  static const auto start = steady::now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now()
                                                               - start)
    .count();
}

/// Renders a call's outcome for failure messages.
inline std::string show(const caf::expected<caf::message>& x) {
  if (x)
    return "value " + caf::to_string(*x);
  return "error " + describe(x.error());
}

/// The string a call answered, or its rendered outcome in angle brackets
/// (so that a comparison with the expected string fails readably).
inline std::string string_of(const caf::expected<caf::message>& x) {
  if (!x || !x->match_elements<std::string>())
    return "<" + show(x) + ">";
  return x->get_as<std::string>(0);
}

/// The switchboard error code a call ended with; none for a value or an
/// error of another category.
inline std::optional<error_code>
failure(const caf::expected<caf::message>& x) {
  if (x)
    return std::nullopt;
  return code_of(x.error());
}

/// One node: an actor system, a router and its mesh, listening on
/// 127.0.0.1 (an OS-picked port unless `listen_port` is given). What the
/// mesh logs is kept in `logs` (and shown with SWITCHBOARD_TEST_LOG=1).
struct mesh_node {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::optional<router> sb;
  std::optional<switchboard::mesh> net;
  std::shared_ptr<log_sink> logs = std::make_shared<log_sink>();
  uint16_t port = 0;

  explicit mesh_node(const std::string& name, mesh_options opts = {},
                     const tls_files* tls = nullptr,
                     uint16_t listen_port = 0,
                     const std::function<void(caf::actor_system_config&)>&
                       setup
                     = nullptr) {
    millis_since_start(); // The clock of the shown lines starts here.
    cfg.set("scheduler.max-threads", 2);
    configure_mesh(cfg, tls);
    if (setup)
      setup(cfg); // e.g. the test's own message types
    sys.emplace(cfg);
    sb.emplace(*sys);
    opts.name = name;
    opts.tls = tls != nullptr;
    auto echo = std::getenv("SWITCHBOARD_TEST_LOG") != nullptr;
    opts.log = [sink = logs, echo, name,
                next = std::move(opts.log)](const std::string& line) {
      sink->add(line);
      if (echo)
        std::cerr << (std::to_string(millis_since_start()) + "ms mesh "
                      + name + ": " + line + "\n")
                  << std::flush;
      if (next)
        next(line);
    };
    net.emplace(sb->ref(), std::move(opts));
    auto p = net->listen(listen_port, "127.0.0.1");
    if (p)
      port = *p;
  }

  ~mesh_node() {
    net.reset();
    sb.reset();
  }

  void connect(const mesh_node& other) {
    net->connect("127.0.0.1", other.port);
  }

  /// Waits at most `timeout` for a log line (from index `from` on) that
  /// contains `needle`.
  bool wait_for_log(const std::string& needle, caf::timespan timeout,
                    size_t from = 0) {
    return logs->wait_for(needle, timeout, from);
  }

  /// Returns once the mesh actor has finished what it was doing when this
  /// was called: a log line comes a moment before the state `peers()` and
  /// `wait_for_route` read, so tests that saw a line call this before
  /// reading them. (A hello without a name, which the front door hands to
  /// the mesh actor and the mesh actor refuses, is the round trip.)
  /// Returns false if no answer came within `timeout`.
  bool sync_mesh(caf::timespan timeout = 10s) {
    caf::scoped_actor self{*sys};
    bool answered = false;
    self
      ->request(net->front_door(), timeout, hello_atom::value, std::string{},
                caf::actor{})
      .receive([&](std::string&, caf::actor&) { answered = true; },
               [&](caf::error& err) {
                 answered = code_of(err) == error_code::bad_request;
               });
    return answered;
  }

  /// Calls `route` by name with the library API without waiting.
  async_call_ptr call_async(const std::string& route, caf::message args,
                            caf::timespan timeout = 10s) {
    auto out = std::make_shared<async_call>();
    auto ref = sb->ref();
    sys->spawn([=](caf::event_based_actor* self) {
      ref.call(self, route, args)
        .timeout(timeout)
        .then(
          [self, out](caf::message& x) {
            out->finish(x);
            self->quit();
          },
          [self, out](caf::error& err) {
            out->finish(err);
            self->quit();
          });
      return caf::behavior{[](int32_t) {}};
    });
    return out;
  }

  /// Calls `route` by name with the library API and waits for the reply
  /// (at most `timeout` plus a grace period: a missing reply is an error
  /// of CAF's category, `request_timeout`).
  caf::expected<caf::message> call(const std::string& route,
                                   caf::message args,
                                   caf::timespan timeout = 10s) {
    auto out = call_async(route, std::move(args), timeout);
    if (!out->wait(timeout + 5s))
      return caf::make_error(caf::sec::request_timeout,
                             "no reply to the call at all");
    std::lock_guard<std::mutex> guard{out->mtx};
    return out->result;
  }

  /// Sends a plain CAF request `(sb_call, route, args...)` to the local
  /// registry and waits at most `timeout` for a reply of type `T`.
  template <class T>
  caf::expected<T> request(const std::string& route, caf::message args,
                           caf::timespan timeout = 10s) {
    caf::scoped_actor self{*sys};
    caf::expected<T> result{caf::error{}};
    auto msg = caf::make_message(call_atom::value, route) + args;
    self->request(sb->registry(), timeout, std::move(msg))
      .receive([&](T& x) { result = std::move(x); },
               [&](caf::error& err) { result = std::move(err); });
    return result;
  }

  /// The routes of this node's router (empty on failure).
  std::vector<core::route_info> routes() {
    auto xs = sb->list();
    return xs ? *xs : std::vector<core::route_info>{};
  }

  /// The entry of `name` in `routes()`, if any.
  std::optional<core::route_info> route(const std::string& name) {
    for (auto& x : routes())
      if (x.name == name)
        return x;
    return std::nullopt;
  }
};

} // namespace switchboard::test
