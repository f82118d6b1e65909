#include <catch2/catch.hpp>

#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>

#include <caf/io/middleman.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include "mesh/mesh_node.hpp"
#include "switchboard/detail/clock.hpp"
#include "switchboard/detail/link_actor.hpp"

using namespace switchboard;
using namespace switchboard::test;

namespace {

/// Every message an actor received, for checks from the test's thread.
struct recorder {
  std::mutex mtx;
  std::condition_variable changed;
  std::vector<caf::message> messages;

  void add(caf::message x) {
    {
      std::lock_guard<std::mutex> guard{mtx};
      messages.push_back(std::move(x));
    }
    changed.notify_all();
  }

  /// The messages that match `Ts...`.
  template <class... Ts>
  std::vector<caf::message> of() {
    std::lock_guard<std::mutex> guard{mtx};
    std::vector<caf::message> result;
    for (auto& x : messages)
      if (x.match_elements<Ts...>())
        result.push_back(x);
    return result;
  }

  /// Waits at most `timeout` until `pred(messages)` holds.
  template <class Pred>
  bool wait_until(Pred pred, caf::timespan timeout) {
    std::unique_lock<std::mutex> guard{mtx};
    return changed.wait_for(guard, timeout, [&] { return pred(messages); });
  }
};

/// An actor that records everything it receives.
caf::actor spawn_recorder(caf::actor_system& sys,
                          std::shared_ptr<recorder> rec) {
  return sys.spawn([rec](caf::event_based_actor* self) -> caf::behavior {
    self->set_default_handler(
      [rec](caf::scheduled_actor*,
            caf::message_view& x) -> caf::result<caf::message> {
        rec->add(x.copy_content_to_message());
        return caf::delegated<caf::message>{};
      });
    return {[](int8_t) {}};
  });
}

/// Sends an exit message ahead of everything queued, as a link that fails
/// inside a handler stops before it reads the rest of its mailbox.
/// Sends `x` an exit message from `from`, ahead of its mailbox. (A link
/// drops exit messages without a sender of its own node: they may come
/// from the network.)
void exit_now(const caf::actor& from, const caf::actor& x,
              caf::exit_reason reason = caf::exit_reason::kill) {
  x->enqueue(caf::actor_cast<caf::strong_actor_ptr>(from),
             caf::make_message_id(caf::message_priority::high),
             caf::make_message(caf::exit_msg{from.address(), reason}),
             nullptr);
}

/// A link on CAF's deterministic scheduler, with recorders as its peer and
/// its mesh actor.
struct link_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<recorder> peer_log = std::make_shared<recorder>();
  std::shared_ptr<recorder> mesh_log = std::make_shared<recorder>();
  caf::actor peer;
  caf::actor mesh;
  caf::actor registry;
  caf::actor link;
  /// The link's count of this node's calls in flight (see link_gate).
  std::shared_ptr<detail::link_gate> gate
    = std::make_shared<detail::link_gate>();

  explicit link_fixture(size_t max_batch_bytes = 4 * 1024 * 1024,
                        size_t max_advert_routes = 100000) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.inline-output", true);
    register_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    peer = spawn_recorder(*sys, peer_log);
    mesh = spawn_recorder(*sys, mesh_log);
    registry = spawn_recorder(*sys, std::make_shared<recorder>());
    detail::link_config lc;
    lc.self_name = "A";
    lc.peer_name = "B";
    lc.peer = peer;
    lc.registry = registry;
    lc.dir = std::make_shared<detail::directory_cell>();
    lc.mesh = mesh;
    lc.heartbeat = std::chrono::seconds{1};
    lc.peer_timeout = std::chrono::seconds{60};
    lc.max_batch_bytes = max_batch_bytes;
    lc.max_advert_routes = max_advert_routes;
    lc.gate = gate;
    link = sys->spawn<detail::link_actor>(std::move(lc));
    sched->run();
  }

  ~link_fixture() {
    exit_now(mesh, link, caf::exit_reason::user_shutdown);
    for (auto& x : {peer, mesh, registry})
      caf::anon_send_exit(x, caf::exit_reason::user_shutdown);
    sched->run();
    while (sched->trigger_timeouts() > 0)
      sched->run();
  }

  void advance(std::chrono::milliseconds d) {
    sched->clock().advance_time(d);
    sched->run();
  }
};

/// A caller of this node that hands calls to `route`'s links as callers
/// do (`dispatch_remote`): `(call_id, sent_at_ns, timeout_ns)` issues one
/// call to route "far". Records every answer it gets.
caf::actor spawn_dispatcher(caf::actor_system& sys,
                            std::shared_ptr<recorder> rec,
                            detail::remote_route route) {
  return sys.spawn([rec, route](caf::event_based_actor* self) -> caf::behavior {
    self->set_default_handler(
      [rec](caf::scheduled_actor*,
            caf::message_view& x) -> caf::result<caf::message> {
        rec->add(x.copy_content_to_message());
        return caf::delegated<caf::message>{};
      });
    return {
      [self, route](uint64_t id, int64_t sent_at, int64_t timeout) {
        detail::reply_target to{caf::strong_actor_ptr{self->ctrl()}, {}, id};
        detail::dispatch_remote(
          self, route, to, "far",
          detail::make_envelope(id, sent_at, timeout, "far",
                                caf::make_message(int32_t{1})));
      },
    };
  });
}

/// The error code each answer `(sb_reply, id, error)` in `rec` carries, by
/// call id (values count as `std::nullopt`).
std::map<uint64_t, std::optional<error_code>> answers_of(recorder& rec) {
  std::map<uint64_t, std::optional<error_code>> result;
  for (auto& x : rec.of<reply_atom, uint64_t, caf::error>())
    result[x.get_as<uint64_t>(1)] = code_of(x.get_as<caf::error>(2));
  for (auto& x : rec.of<reply_atom, uint64_t, caf::message>())
    result[x.get_as<uint64_t>(1)] = std::nullopt;
  return result;
}

/// A node that joins the mesh of the node listening on `port` by hand,
/// with a recorder (`fake`) as its side of the link: it plays a peer that
/// does what it likes.
struct stranger {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::shared_ptr<recorder> log = std::make_shared<recorder>();
  caf::actor fake;
  /// The node's side of the link.
  caf::actor link;

  explicit stranger(uint16_t port) {
    configure_mesh(cfg);
    register_error_category(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto registry = sys->middleman().remote_actor("127.0.0.1", port);
    REQUIRE(registry);
    fake = spawn_recorder(*sys, log);
    caf::scoped_actor self{*sys};
    self->request(*registry, 10s, hello_atom::value, std::string{"X"}, fake)
      .receive([&](std::string&, caf::actor& x) { link = x; },
               [&](caf::error& err) { FAIL(sys->render(err)); });
    REQUIRE(link);
  }

  ~stranger() {
    caf::anon_send_exit(fake, caf::exit_reason::user_shutdown);
  }
};

/// Calls 1..n to route "far" (argument 1), as a peer or a relaying link
/// sends them.
std::vector<detail::wire_request> calls_to_far(uint64_t n) {
  std::vector<detail::wire_request> result;
  for (uint64_t id = 1; id <= n; ++id)
    result.push_back(detail::wire_request{
      id, 0, "far", detail::wire_payload::of(caf::make_message(int32_t{1}))});
  return result;
}

std::vector<core::advert> advert_of(const std::string& route, size_t n = 1) {
  std::vector<core::advert> result;
  for (size_t i = 0; i < n; ++i)
    result.push_back(core::advert{route + std::to_string(i), {"B"}});
  return result;
}

} // namespace

// -- one link, deterministic
// ------------------------------------------------------

TEST_CASE("a dying link answers relayed calls still in its mailbox with "
          "node_down to the relaying link") {
  link_fixture f;
  auto relayer_log = std::make_shared<recorder>();
  auto relayer = spawn_recorder(*f.sys, relayer_log);
  f.sched->run();
  caf::send_as(relayer, f.link, relay_atom::value, calls_to_far(3));
  exit_now(f.mesh, f.link);
  f.sched->run();
  auto answers
    = relayer_log->of<relay_reply_atom, std::vector<detail::wire_reply>>();
  REQUIRE(answers.size() == 1);
  auto& xs = answers[0].get_as<std::vector<detail::wire_reply>>(1);
  REQUIRE(xs.size() == 3);
  for (uint64_t i = 0; i < 3; ++i) {
    CHECK(xs[i].id == i + 1);
    CHECK(code_of(xs[i].err) == error_code::node_down);
  }
  caf::anon_send_exit(relayer, caf::exit_reason::user_shutdown);
}

TEST_CASE("a link announces its link_max_in_flight to its peer before "
          "anything else and takes the peer's limit clamped") {
  link_fixture f;
  {
    std::lock_guard<std::mutex> guard{f.peer_log->mtx};
    REQUIRE(!f.peer_log->messages.empty());
    auto& first = f.peer_log->messages.front();
    REQUIRE(first.match_elements<detail::limits_atom, int64_t>());
    CHECK(first.get_as<int64_t>(1) == 10000);
  }
  CHECK(f.gate->limit() == detail::link_gate::max_limit);
  caf::send_as(f.peer, f.link, detail::limits_atom::value, int64_t{3});
  f.sched->run();
  CHECK(f.gate->limit() == 3);
  caf::send_as(f.peer, f.link, detail::limits_atom::value, int64_t{-5});
  f.sched->run();
  CHECK(f.gate->limit() == 1);
  caf::send_as(f.peer, f.link, detail::limits_atom::value,
               std::numeric_limits<int64_t>::max());
  f.sched->run();
  CHECK(f.gate->limit() == detail::link_gate::max_limit);
}

TEST_CASE("a call's slot under the peer's limit comes back once whether it "
          "ends in a value, an error, a timeout or the link closing") {
  link_fixture f;
  caf::send_as(f.peer, f.link, detail::limits_atom::value, int64_t{4});
  f.sched->run();
  REQUIRE(f.gate->limit() == 4);
  detail::remote_route route;
  route.links.push_back(detail::remote_link{f.link, f.gate, "B"});
  auto rec = std::make_shared<recorder>();
  auto caller = spawn_dispatcher(*f.sys, rec, route);
  f.sched->run();
  auto now = [] { return detail::to_ns(steady::now()); };
  auto issue = [&](uint64_t id, int64_t timeout, int64_t sent_at = 0) {
    caf::anon_send(caller, id, sent_at == 0 ? now() : sent_at, timeout);
    f.sched->run();
  };
  auto sent = [&] {
    std::vector<detail::wire_request> result;
    for (auto& b :
         f.peer_log->of<requests_atom, std::vector<detail::wire_request>>())
      for (auto& x : b.get_as<std::vector<detail::wire_request>>(1))
        result.push_back(x);
    return result;
  };
  auto reply = [&](detail::wire_reply x) {
    std::vector<detail::wire_reply> xs;
    xs.push_back(std::move(x));
    caf::send_as(f.peer, f.link, replies_atom::value, std::move(xs));
    f.sched->run();
  };
  // Six calls against a limit of 4: the last two are refused on the spot,
  // by the caller's own dispatch, naming the peer and its limit.
  const int64_t long_timeout = int64_t{60} * 1'000'000'000;
  for (uint64_t id = 1; id <= 6; ++id)
    issue(id, long_timeout);
  CHECK(f.gate->in_flight() == 4);
  REQUIRE(sent().size() == 4);
  auto answers = answers_of(*rec);
  REQUIRE(answers.size() == 2);
  CHECK(answers[5] == error_code::overloaded);
  CHECK(answers[6] == error_code::overloaded);
  {
    auto errs = rec->of<reply_atom, uint64_t, caf::error>();
    REQUIRE(!errs.empty());
    auto text = message_of(errs[0].get_as<caf::error>(2));
    CHECK(text == "route 'far': this node already has 4 calls in flight to "
                  "node 'B', its link_max_in_flight");
  }
  // A value and an error from the peer free one slot each; the same reply
  // again frees nothing.
  auto wire = sent();
  reply(detail::wire_reply{
    wire[0].id, detail::wire_payload::of(caf::make_message(int32_t{1})), {}});
  CHECK(f.gate->in_flight() == 3);
  reply(detail::wire_reply{wire[1].id, {},
                           make_error(error_code::handler_failed, "boom")});
  CHECK(f.gate->in_flight() == 2);
  reply(detail::wire_reply{wire[1].id, {},
                           make_error(error_code::handler_failed, "boom")});
  CHECK(f.gate->in_flight() == 2);
  answers = answers_of(*rec);
  CHECK(answers.at(wire[0].id) == std::nullopt);
  CHECK(answers.at(wire[1].id) == error_code::handler_failed);
  // A call whose deadline passed before it left: answered, slot back.
  issue(7, 1'000'000, now() - 2'000'000);
  CHECK(answers_of(*rec).at(7) == error_code::timeout);
  CHECK(f.gate->in_flight() == 2);
  // A call the peer never answers: the link's own deadline check frees
  // its slot. (The link's table runs on the steady clock: the 2 ms must
  // really pass.)
  auto sent_at = now();
  issue(8, 2'000'000, sent_at);
  CHECK(f.gate->in_flight() == 3);
  while (now() <= sent_at + 2'000'000)
    ; // the call's deadline, at most 2 ms away
  f.advance(std::chrono::seconds{1}); // the link's heartbeat tick
  CHECK(answers_of(*rec).at(8) == error_code::timeout);
  CHECK(f.gate->in_flight() == 2);
  // The link closes with 2 calls in its table and 2 still in its mailbox:
  // all four answered node_down, every slot back.
  for (uint64_t id = 9; id <= 10; ++id)
    caf::anon_send(caller, id, now(), long_timeout);
  // Only the caller runs: it hands both calls to the link, which has not
  // read them when it stops.
  while (f.sched->prioritize(caller))
    f.sched->run_once();
  CHECK(f.gate->in_flight() == 4);
  exit_now(f.mesh, f.link);
  f.sched->run();
  answers = answers_of(*rec);
  for (auto id : {wire[2].id, wire[3].id, uint64_t{9}, uint64_t{10}})
    CHECK(answers.at(id) == error_code::node_down);
  CHECK(f.gate->in_flight() == 0);
  // A call to the closed link: node_down at once, no slot kept.
  issue(11, long_timeout);
  CHECK(answers_of(*rec).at(11) == error_code::node_down);
  CHECK(f.gate->in_flight() == 0);
  // The whole limit is usable again.
  for (int i = 0; i < 4; ++i)
    CHECK(f.gate->try_acquire());
  CHECK(!f.gate->try_acquire());
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
}

TEST_CASE("calls a link relays beyond its peer's limit get overloaded from "
          "the relaying node and keep no slot") {
  link_fixture f;
  caf::send_as(f.peer, f.link, detail::limits_atom::value, int64_t{2});
  f.sched->run();
  auto relayer_log = std::make_shared<recorder>();
  auto relayer = spawn_recorder(*f.sys, relayer_log);
  f.sched->run();
  caf::send_as(relayer, f.link, relay_atom::value, calls_to_far(3));
  f.sched->run();
  CHECK(f.gate->in_flight() == 2);
  auto refused = relayer_log->of<reply_atom, uint64_t, caf::error>();
  REQUIRE(refused.size() == 1);
  CHECK(refused[0].get_as<uint64_t>(1) == 3);
  CHECK(code_of(refused[0].get_as<caf::error>(2)) == error_code::overloaded);
  // The two relayed calls that left end with the link: slots back.
  exit_now(f.mesh, f.link);
  f.sched->run();
  CHECK(f.gate->in_flight() == 0);
  caf::anon_send_exit(relayer, caf::exit_reason::user_shutdown);
}

TEST_CASE(
  "a link sends its batch before the payloads in it pass max_batch_bytes") {
  link_fixture f{1000};
  auto caller = spawn_recorder(*f.sys, std::make_shared<recorder>());
  f.sched->run();
  // Ten calls of 300 bytes each, all in the link's mailbox at once.
  for (uint64_t id = 1; id <= 10; ++id)
    caf::send_as(
      caller, f.link,
      detail::call_envelope{id, int64_t{0}, int64_t{0}, std::string{"r"},
                            caf::make_message(std::string(300, 'x'))});
  f.sched->run();
  auto batches
    = f.peer_log->of<requests_atom, std::vector<detail::wire_request>>();
  size_t calls = 0;
  for (auto& b : batches) {
    size_t bytes = 0;
    for (auto& x : b.get_as<std::vector<detail::wire_request>>(1))
      bytes += x.args.text.size();
    CHECK(bytes <= 1000);
    calls += b.get_as<std::vector<detail::wire_request>>(1).size();
  }
  CHECK(calls == 10);
  CHECK(batches.size() == 4); // 3 + 3 + 3 + 1
  caf::anon_send_exit(caller, caf::exit_reason::user_shutdown);
}

TEST_CASE("advertisements reach the mesh at most every 50 ms and only the "
          "latest of those waiting") {
  link_fixture f;
  for (int i = 0; i < 5; ++i)
    caf::send_as(f.peer, f.link, advert_atom::value,
                 advert_of("v" + std::to_string(i) + "_"));
  f.sched->run();
  auto learned = f.mesh_log->of<learned_atom, std::vector<core::advert>>();
  REQUIRE(learned.size() == 1);
  CHECK(learned[0].get_as<std::vector<core::advert>>(1).at(0).route == "v0_0");
  f.advance(std::chrono::milliseconds{50});
  learned = f.mesh_log->of<learned_atom, std::vector<core::advert>>();
  REQUIRE(learned.size() == 2);
  CHECK(learned[1].get_as<std::vector<core::advert>>(1).at(0).route == "v4_0");
}

TEST_CASE("an advertisement above max_advert_routes closes the link and never "
          "reaches the mesh") {
  link_fixture f{4 * 1024 * 1024, 10};
  caf::send_as(f.peer, f.link, advert_atom::value, advert_of("r", 10));
  f.sched->run();
  CHECK(f.mesh_log->of<learned_atom, std::vector<core::advert>>().size() == 1);
  f.advance(std::chrono::milliseconds{50});
  caf::send_as(f.peer, f.link, advert_atom::value, advert_of("r", 11));
  f.sched->run();
  CHECK(f.mesh_log->of<learned_atom, std::vector<core::advert>>().size() == 1);
  auto ptr = caf::actor_cast<caf::abstract_actor*>(f.link);
  CHECK(ptr->getf(caf::abstract_actor::is_terminated_flag));
}

TEST_CASE("calls from a peer with a timeout that could overflow a deadline "
          "or a bad route name get bad_request") {
  // Found by fuzz_decode: a timeout near INT64_MAX overflowed the link's
  // deadline arithmetic (and looped forever rounding it to a lane).
  link_fixture f;
  auto text = [] {
    return detail::wire_payload::of(caf::make_message(std::string{"x"}));
  };
  caf::send_as(f.peer, f.link, requests_atom::value,
               std::vector<detail::wire_request>{
                 {1, std::numeric_limits<int64_t>::max(), "far", text()},
                 {2, detail::max_wire_timeout_ns + 1, "far", text()},
                 {3, -1, "far", text()},
                 {4, 0, "bad\nname", text()}});
  f.sched->run();
  std::vector<detail::wire_reply> replies;
  for (auto& b :
       f.peer_log->of<replies_atom, std::vector<detail::wire_reply>>())
    for (auto& x : b.get_as<std::vector<detail::wire_reply>>(1))
      replies.push_back(x);
  REQUIRE(replies.size() == 4);
  for (uint64_t i = 0; i < 4; ++i) {
    CHECK(replies[i].id == i + 1);
    CHECK(code_of(replies[i].err) == error_code::bad_request);
  }
  CHECK(message_of(replies[0].err).find("timeout") != std::string::npos);
  CHECK(message_of(replies[3].err).find("control") != std::string::npos);
}

// -- two nodes over 127.0.0.1
// ------------------------------------------------------

TEST_CASE("a call from a peer above the route's max_payload gets bad_request") {
  mesh_node a{"A"}, b{"B"};
  core::route_options opts;
  opts.max_payload = 10;
  auto runs = std::make_shared<std::atomic<int>>(0);
  REQUIRE(b.sb->add(
            "small",
            [runs](std::string x) {
              ++*runs;
              return x;
            },
            opts)
          == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("small", 10s));
  auto big = a.call("small", caf::make_message(std::string(11, 'x')));
  INFO(show(big));
  REQUIRE(failure(big) == error_code::bad_request);
  CHECK(message_of(big.error()).find("'small'") != std::string::npos);
  CHECK(message_of(big.error()).find("max_payload") != std::string::npos);
  auto fits = a.call("small", caf::make_message(std::string(10, 'x')));
  CHECK(string_of(fits) == std::string(10, 'x'));
  CHECK(runs->load() == 1);
}

// A knows B's limit (B announced it), so A refuses the excess itself; a
// peer that ignores the limit is the next test's.
TEST_CASE(
  "calls from a peer beyond link_max_in_flight get overloaded at once") {
  mesh_options opts;
  opts.link_max_in_flight = 5;
  mesh_node a{"A"}, b{"B", opts};
  // Counts what reached the handler (held, never answered) and how the
  // calls ended, under one lock for bounded waits on both.
  struct tally {
    std::mutex mtx;
    std::condition_variable changed;
    int held = 0;
    std::vector<caf::error> errors;
    void update(std::function<void(tally&)> f) {
      {
        std::lock_guard<std::mutex> guard{mtx};
        f(*this);
      }
      changed.notify_all();
    }
  };
  auto t = std::make_shared<tally>();
  REQUIRE(b.sb->add("hold", [t](responder<int32_t>, int32_t) {
    t->update([](tally& x) { ++x.held; });
  }) == caf::none);
  REQUIRE(b.sb->add("echo", [](int32_t x) { return x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("hold", 10s));
  REQUIRE(a.net->wait_for_route("echo", 10s));
  auto ref = a.sb->ref();
  auto start = steady::now();
  // The caller lives until all 8 calls ended (the held ones end when B
  // stops, at the latest).
  a.sys->spawn([ref, t](caf::event_based_actor* self) -> caf::behavior {
    auto left = std::make_shared<int>(8);
    for (int32_t i = 0; i < 8; ++i)
      ref.call(self, "hold", i)
        .timeout(std::chrono::seconds{30})
        .then(
          [self, left](int32_t) {
            if (--*left == 0)
              self->quit();
          },
          [self, left, t](caf::error& err) {
            t->update([&](tally& x) { x.errors.push_back(err); });
            if (--*left == 0)
              self->quit();
          });
    return {[](int8_t) {}};
  });
  {
    std::unique_lock<std::mutex> guard{t->mtx};
    REQUIRE(t->changed.wait_for(
      guard, 10s, [&] { return t->held == 5 && t->errors.size() == 3; }));
    CHECK(steady::now() - start < 5s);
    for (size_t i = 0; i < 3; ++i) {
      auto& err = t->errors[i];
      INFO(describe(err));
      CHECK(code_of(err) == error_code::overloaded);
      CHECK(message_of(err).find("link_max_in_flight") != std::string::npos);
    }
  }
  // Still full: another call from A is refused too.
  CHECK(failure(a.call("echo", caf::make_message(int32_t{1})))
        == error_code::overloaded);
}

TEST_CASE("a peer that ignores the announced link_max_in_flight still gets "
          "overloaded from the serving node beyond it") {
  mesh_options opts;
  opts.link_max_in_flight = 5;
  mesh_node b{"B", opts};
  auto held = std::make_shared<recorder>();
  REQUIRE(b.sb->add("hold", [held](responder<int32_t>, int32_t x) {
    held->add(caf::make_message(x));
  }) == caf::none);
  // A stranger joins B and sends more calls than B announced it takes.
  stranger x{b.port};
  auto& log = x.log;
  REQUIRE(log->wait_until(
    [](const std::vector<caf::message>& xs) { return !xs.empty(); }, 10s));
  {
    std::lock_guard<std::mutex> guard{log->mtx};
    auto& first = log->messages.front();
    REQUIRE(first.match_elements<detail::limits_atom, int64_t>());
    CHECK(first.get_as<int64_t>(1) == 5);
  }
  std::vector<detail::wire_request> calls;
  for (uint64_t id = 1; id <= 8; ++id)
    calls.push_back(detail::wire_request{
      id, 0, "hold",
      detail::wire_payload::of(caf::make_message(int32_t{1}))});
  caf::anon_send(x.link, requests_atom::value, std::move(calls));
  std::vector<detail::wire_reply> replies;
  REQUIRE(log->wait_until(
    [&](const std::vector<caf::message>& xs) {
      replies.clear();
      for (auto& x : xs)
        if (x.match_elements<replies_atom, std::vector<detail::wire_reply>>())
          for (auto& r : x.get_as<std::vector<detail::wire_reply>>(1))
            replies.push_back(r);
      return replies.size() >= 3;
    },
    10s));
  REQUIRE(replies.size() == 3);
  std::set<uint64_t> ids;
  for (auto& r : replies) {
    INFO(describe(r.err));
    CHECK(code_of(r.err) == error_code::overloaded);
    CHECK(message_of(r.err).find("link_max_in_flight") != std::string::npos);
    ids.insert(r.id);
  }
  CHECK(ids == std::set<uint64_t>{6, 7, 8});
  // The first five run (held, never answered).
  CHECK(held->wait_until(
    [](const std::vector<caf::message>& xs) { return xs.size() == 5; }, 10s));
}

TEST_CASE("an advertisement from a peer above max_advert_routes closes the "
          "link with the reason logged") {
  mesh_options opts;
  opts.max_advert_routes = 10;
  mesh_node a{"A", opts}, b{"B"};
  std::vector<route_spec> specs;
  for (int i = 0; i < 11; ++i)
    specs.push_back(route_spec{
      "r" + std::to_string(i), make_handler([](int32_t x) { return x; }), {}});
  for (auto& err : b.sb->add_all(std::move(specs)))
    REQUIRE(!err);
  b.connect(a);
  REQUIRE(a.wait_for_log("max_advert_routes", 10s));
  CHECK(a.logs->all().find("advertised 11 routes") != std::string::npos);
  CHECK(!a.route("r0"));
}

TEST_CASE("a link takes from another node only requests, replies, adverts, "
          "pings and limits") {
  mesh_node a{"A"};
  REQUIRE(a.sb->add("echo", [](int32_t x) { return x; }) == caf::none);
  stranger st{a.port};
  auto& log = st.log;
  auto& link = st.link;
  auto& fake = st.fake;
  {
    caf::scoped_actor self{*st.sys};
    // Only this node's own actors may send these.
    self->send(link, advertise_atom::value,
               std::vector<core::advert>{core::advert{"forged", {}}});
    self->send(link, detail::call_envelope{uint64_t{1}, int64_t{0}, int64_t{0},
                                           std::string{"echo"},
                                           caf::make_message(int32_t{1})});
    self->send(link, reply_atom::value, uint64_t{55},
               caf::make_message(int32_t{1}));
    self->send(link, peer_atom::value, std::string{"Y"}, caf::actor{fake});
    self->send(link, flush_atom::value);
    // A peer's request: answered (after everything above, in order).
    self->send(link, requests_atom::value,
               std::vector<detail::wire_request>{detail::wire_request{
                 77, 0, "echo",
                 detail::wire_payload::of(caf::make_message(int32_t{7}))}});
  }
  auto has_reply = [](uint64_t id) {
    return [id](const std::vector<caf::message>& xs) {
      for (auto& x : xs)
        if (x.match_elements<replies_atom, std::vector<detail::wire_reply>>())
          for (auto& r : x.get_as<std::vector<detail::wire_reply>>(1))
            if (r.id == id)
              return true;
      return false;
    };
  };
  REQUIRE(log->wait_until(has_reply(77), 10s));
  std::lock_guard<std::mutex> guard{log->mtx};
  CHECK(!has_reply(55)(log->messages));
  for (auto& x : log->messages) {
    INFO(caf::to_string(x));
    CHECK(
      !x.match_elements<requests_atom, std::vector<detail::wire_request>>());
    if (x.match_elements<advert_atom, std::vector<core::advert>>())
      for (auto& ad : x.get_as<std::vector<core::advert>>(1))
        CHECK(ad.route != "forged");
  }
}

TEST_CASE("a remote client's plain request reaches a route a peer serves") {
  mesh_node a{"A"}, b{"B"};
  REQUIRE(b.sb->add("twice", [](int32_t x) { return 2 * x; }) == caf::none);
  a.connect(b);
  REQUIRE(a.net->wait_for_route("twice", 10s));
  caf::actor_system_config cfg;
  configure_mesh(cfg);
  register_error_category(cfg);
  caf::actor_system sys{cfg};
  auto registry = sys.middleman().remote_actor("127.0.0.1", a.port);
  REQUIRE(registry);
  caf::scoped_actor self{sys};
  std::optional<int32_t> result;
  self
    ->request(*registry, 10s, call_atom::value, std::string{"twice"},
              int32_t{21})
    .receive([&](int32_t x) { result = x; },
             [&](caf::error& err) { FAIL(sys.render(err)); });
  REQUIRE(result);
  CHECK(*result == 42);
}
