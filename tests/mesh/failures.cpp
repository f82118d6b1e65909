#include <catch2/catch.hpp>

#include <algorithm>
#include <thread>

#include <caf/io/middleman.hpp>
#include <caf/send.hpp>

#include "mesh/mesh_node.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// Counts the requests a handler took, for a bounded wait on "all of them
/// arrived".
struct arrivals {
  std::mutex mtx;
  std::condition_variable changed;
  int count = 0;

  void add() {
    {
      std::lock_guard<std::mutex> guard{mtx};
      ++count;
    }
    changed.notify_all();
  }

  bool wait_for(int n, caf::timespan timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, timeout, [&] { return count >= n; });
  }
};

/// A route whose handler takes the request, defers its reply and never
/// delivers it: only the deadline or a failure ends such a call.
void add_black_hole(mesh_node& n, const std::string& route,
                    std::shared_ptr<arrivals> seen) {
  REQUIRE(n.sb->add(route, [seen](responder<int32_t>, int32_t) {
    seen->add();
  }) == caf::none);
}

constexpr int in_flight = 20;

/// Issues `in_flight` calls with a 30 s timeout from `a` to `route` and
/// waits until `seen` says they all reached the handler.
std::vector<async_call_ptr> stall_calls(mesh_node& a, const std::string& route,
                                        arrivals& seen) {
  std::vector<async_call_ptr> calls;
  for (int32_t i = 0; i < in_flight; ++i)
    calls.push_back(a.call_async(route, caf::make_message(i), 30s));
  REQUIRE(seen.wait_for(in_flight, 10s));
  return calls;
}

/// Checks that every call ended with one of `codes` less than 5 s after
/// `start`.
void require_ended(std::vector<async_call_ptr>& calls,
                   steady::time_point start,
                   std::vector<error_code> codes = {error_code::node_down}) {
  for (auto& x : calls) {
    REQUIRE(x->wait(10s));
    INFO(show(x->result));
    auto code = failure(x->result);
    REQUIRE(code);
    CHECK(std::find(codes.begin(), codes.end(), *code) != codes.end());
    CHECK(x->ended - start < 5s);
  }
}

} // namespace

TEST_CASE("calls in flight to a peer whose mesh stops end with node_down at once",
          "[threads]") {
  mesh_node a{"A"}, b{"B"};
  auto seen = std::make_shared<arrivals>();
  add_black_hole(b, "hang", seen);
  REQUIRE(a.sb->add("a_local", [](int32_t x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("hang", 10s));
  auto calls = stall_calls(a, "hang", *seen);
  auto mark = a.logs->mark();
  auto start = steady::now();
  b.net.reset();
  require_ended(calls, start);
  // A itself is unharmed.
  auto local = a.call("a_local", caf::make_message(int32_t{7}));
  INFO(show(local));
  REQUIRE(local);
  CHECK(local->get_as<int32_t>(0) == 7);
  // And the route went with the node.
  REQUIRE(a.wait_for_log("route 'hang' no longer reachable", 10s, mark));
  CHECK(failure(a.call("hang", caf::make_message(int32_t{1})))
        == error_code::no_such_route);
  CHECK(!a.route("hang"));
}

TEST_CASE("calls in flight from several threads to a peer whose mesh stops "
          "all end with node_down at once",
          "[threads]") {
  // The version of the test above with the calls made concurrently: each
  // of `threads` std::threads issues library calls (spawning their
  // callers on A's system) and one blocking plain CAF request from its own
  // scoped_actor, all released at once by a latch.
  constexpr int threads = 4;
  constexpr int library_each = 5;
  mesh_node a{"A"}, b{"B"};
  auto seen = std::make_shared<arrivals>();
  add_black_hole(b, "hang", seen);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("hang", 10s));
  std::mutex mtx;
  std::condition_variable go_cv;
  bool go = false;
  int issued = 0; // Threads whose library calls are in `calls`.
  std::vector<std::vector<async_call_ptr>> calls(threads);
  std::vector<async_call_ptr> plain;
  for (int i = 0; i < threads; ++i)
    plain.push_back(std::make_shared<async_call>());
  auto registry = a.sb->registry();
  std::vector<std::thread> callers;
  // Joins however the test ends (each thread ends within its 30 s).
  struct joiner {
    std::vector<std::thread>& xs;
    ~joiner() {
      for (auto& x : xs)
        if (x.joinable())
          x.join();
    }
  } join_callers{callers};
  for (int i = 0; i < threads; ++i)
    callers.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> guard{mtx};
        go_cv.wait(guard, [&] { return go; });
      }
      for (int32_t k = 0; k < library_each; ++k)
        calls[static_cast<size_t>(i)].push_back(
          a.call_async("hang", caf::make_message(k), 30s));
      {
        std::lock_guard<std::mutex> guard{mtx};
        ++issued;
      }
      go_cv.notify_all();
      caf::scoped_actor self{*a.sys};
      auto& out = plain[static_cast<size_t>(i)];
      self->request(registry, 30s, call_atom::value, std::string{"hang"},
                    int32_t{i})
        .receive([&](int32_t x) { out->finish(caf::make_message(x)); },
                 [&](caf::error& err) { out->finish(std::move(err)); });
    });
  {
    std::lock_guard<std::mutex> guard{mtx};
    go = true;
  }
  go_cv.notify_all();
  REQUIRE(seen->wait_for(threads * (library_each + 1), 10s));
  {
    // `calls` is written by the threads: read it only after each is done
    // with it.
    std::unique_lock<std::mutex> guard{mtx};
    REQUIRE(go_cv.wait_for(guard, 10s, [&] { return issued == threads; }));
  }
  auto start = steady::now();
  b.net.reset();
  for (auto& xs : calls) {
    REQUIRE(xs.size() == library_each);
    require_ended(xs, start);
  }
  require_ended(plain, start);
}

TEST_CASE("calls in flight to a node that shuts down end at once with node_down or shutting_down",
          "[threads]") {
  mesh_node a{"A"};
  std::optional<mesh_node> b{std::in_place, "B"};
  auto seen = std::make_shared<arrivals>();
  add_black_hole(*b, "hang", seen);
  REQUIRE(a.sb->add("a_local", [](int32_t x) { return x; }) == caf::none);
  a.connect(*b);
  REQUIRE(a.net->wait_for_route("hang", 10s));
  auto calls = stall_calls(a, "hang", *seen);
  auto mark = a.logs->mark();
  auto start = steady::now();
  // The mesh, the router and the actor system of B, all at once. B's
  // workers may answer first, as a stopping router does (`shutting_down`,
  // see worker_actor::on_exit); otherwise the link's failure answers
  // (`node_down`). Either way, at once.
  b.reset();
  require_ended(calls, start,
                {error_code::node_down, error_code::shutting_down});
  auto local = a.call("a_local", caf::make_message(int32_t{7}));
  INFO(show(local));
  REQUIRE(local);
  CHECK(local->get_as<int32_t>(0) == 7);
  REQUIRE(a.wait_for_log("route 'hang' no longer reachable", 10s, mark));
  CHECK(failure(a.call("hang", caf::make_message(int32_t{1})))
        == error_code::no_such_route);
  REQUIRE(a.sync_mesh());
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 1);
  CHECK(!ps[0].connected);
}

TEST_CASE("a node keeps dialling a peer that is not listening yet and connects once it is") {
  auto port = free_port();
  REQUIRE(port != 0);
  mesh_node a{"A"};
  a.net->connect("127.0.0.1", port);
  // The first attempt fails; A keeps running and keeps trying.
  REQUIRE(a.wait_for_log("unreachable", 10s));
  REQUIRE(a.sync_mesh());
  {
    auto ps = a.net->peers();
    REQUIRE(ps.size() == 1);
    CHECK(!ps[0].connected);
    CHECK(ps[0].address == "127.0.0.1:" + std::to_string(port));
    CHECK(!ps[0].last_error.empty());
  }
  REQUIRE(a.sb->add("a_local", [](int32_t x) { return x; }) == caf::none);
  CHECK(a.call("a_local", caf::make_message(int32_t{1})));
  mesh_node b{"B", {}, nullptr, port};
  REQUIRE(b.port == port);
  REQUIRE(b.sb->add("r", [](int32_t) { return std::string{"B"}; })
          == caf::none);
  REQUIRE(a.net->wait_for_peers(1, 10s));
  REQUIRE(a.net->wait_for_route("r", 10s));
  CHECK(string_of(a.call("r", caf::make_message(int32_t{1}))) == "B");
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].name == "B");
  CHECK(ps[0].connected);
  CHECK(ps[0].last_error.empty());
}

TEST_CASE("a node reconnects to a peer restarted on the same port") {
  mesh_node a{"A"};
  std::optional<mesh_node> b{std::in_place, "B"};
  auto port = b->port;
  REQUIRE(port != 0);
  REQUIRE(b->sb->add("r", [](int32_t) { return std::string{"first"}; })
          == caf::none);
  a.connect(*b);
  REQUIRE(a.net->wait_for_route("r", 10s));
  CHECK(string_of(a.call("r", caf::make_message(int32_t{1}))) == "first");
  auto mark = a.logs->mark();
  b.reset();
  REQUIRE(a.wait_for_log("route 'r' no longer reachable", 10s, mark));
  CHECK(failure(a.call("r", caf::make_message(int32_t{1})))
        == error_code::no_such_route);
  mark = a.logs->mark();
  b.emplace("B", mesh_options{}, nullptr, port);
  REQUIRE(b->port == port);
  REQUIRE(b->sb->add("r", [](int32_t) { return std::string{"second"}; })
          == caf::none);
  auto back = a.wait_for_log("route 'r' reachable", 15s, mark);
  INFO(a.logs->all());
  REQUIRE(back);
  CHECK(string_of(a.call("r", caf::make_message(int32_t{1}))) == "second");
  REQUIRE(a.sync_mesh());
  auto ps = a.net->peers();
  REQUIRE(ps.size() == 1);
  CHECK(ps[0].name == "B");
  CHECK(ps[0].connected);
}

TEST_CASE("a handshake with a node that goes away fails at once and the node dials again") {
  // A stand-in peer that takes the hello and never answers it, as a node
  // that dies halfway through the handshake does.
  auto hellos = std::make_shared<arrivals>();
  std::optional<caf::actor_system_config> hole_cfg{std::in_place};
  hole_cfg->set("scheduler.max-threads", 2);
  configure_mesh(*hole_cfg);
  std::optional<caf::actor_system> hole_sys{std::in_place, *hole_cfg};
  auto hole = hole_sys->spawn([hellos](caf::event_based_actor* self) {
    // Kept, never delivered: the caller hears nothing.
    auto kept = std::make_shared<std::vector<caf::response_promise>>();
    return caf::behavior{
      [self, hellos, kept](hello_atom, std::string&,
                           caf::actor&) -> caf::result<caf::message> {
        kept->push_back(self->make_response_promise());
        hellos->add();
        return caf::delegated<caf::message>{};
      },
    };
  });
  // A published actor lives until told to stop, and its system waits for
  // it: stop it however the test ends.
  struct stopper {
    caf::actor& x;
    ~stopper() {
      if (x)
        caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    }
  } stop_hole{hole};
  auto published = hole_sys->middleman().publish(hole, 0, "127.0.0.1", true);
  REQUIRE(published);
  auto port = *published;
  mesh_node a{"A"};
  a.net->connect("127.0.0.1", port);
  REQUIRE(hellos->wait_for(1, 10s));
  // The stand-in goes away with A's hello unanswered; B takes its port.
  caf::anon_send_exit(hole, caf::exit_reason::user_shutdown);
  hole = nullptr; // No handle may outlive its system.
  hole_sys.reset();
  hole_cfg.reset();
  auto start = steady::now();
  mesh_node b{"B", {}, nullptr, port};
  REQUIRE(b.port == port);
  REQUIRE(b.sb->add("r", [](int32_t) { return std::string{"B"}; })
          == caf::none);
  // The retry backoff is still at its start (100 ms, 200 ms, ...): A is
  // connected within a few seconds unless it waits out the handshake's
  // own timeout (10 s) first.
  auto connected = a.net->wait_for_peers(1, 5s);
  INFO(a.logs->all());
  REQUIRE(connected);
  CHECK(steady::now() - start < 5s);
  REQUIRE(a.net->wait_for_route("r", 10s));
  CHECK(string_of(a.call("r", caf::make_message(int32_t{1}))) == "B");
}
