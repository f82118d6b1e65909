#include "switchboard/daemon/http_front_door.hpp"

#include <atomic>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <vector>

#include <httplib.h>

#include <caf/actor_system.hpp>
#include <caf/scoped_actor.hpp>

#include "switchboard/daemon/render.hpp"
#include "switchboard/detail/tls_session.hpp"
#include "switchboard/error.hpp"

namespace switchboard::daemon {

namespace {

/// The outcome of one HTTP call.
using call_result = caf::expected<caf::message>;

/// Connections beyond the limit: their thread answers 503 and closes.
thread_local bool over_limit = false;

/// httplib's thread pool, counting the connections it holds (queued or
/// served); one beyond `max` is served a 503 and closed, so memory and
/// threads stay bounded whatever the clients do.
class bounded_queue final : public httplib::TaskQueue {
public:
  bounded_queue(size_t threads, int64_t max) : pool_(threads), max_(max) {
    // nop
  }

  void enqueue(std::function<void()> fn) override {
    auto over = open_.fetch_add(1, std::memory_order_relaxed) >= max_;
    pool_.enqueue([this, over, fn = std::move(fn)] {
      over_limit = over;
      fn();
      over_limit = false;
      open_.fetch_sub(1, std::memory_order_relaxed);
    });
  }

  void shutdown() override {
    pool_.shutdown();
  }

private:
  httplib::ThreadPool pool_;
  int64_t max_;
  std::atomic<int64_t> open_{0};
};

void json_error(httplib::Response& res, int status, const std::string& kind,
                const std::string& message) {
  res.status = status;
  res.set_content("{\"error\":\"" + json_escape(kind) + "\",\"message\":\""
                    + json_escape(message) + "\"}\n",
                  "application/json");
}

/// Answers `err` as JSON with its status (and Retry-After for 429).
void answer_error(httplib::Response& res, const caf::error& err) {
  auto status = http_status(err);
  auto code = code_of(err);
  if (status == 429)
    res.set_header("Retry-After", "1");
  json_error(res, status,
             code ? std::string{core::to_string(*code)} : std::string{"internal"},
             describe(err));
}

} // namespace

int http_status(const caf::error& err) {
  auto code = code_of(err);
  if (!code)
    return 500;
  switch (*code) {
    case error_code::no_such_route:
      return 404;
    case error_code::bad_request:
      // The admission check names the limit it enforces.
      return message_of(err).find("max_payload") != std::string::npos ? 413
                                                                      : 400;
    case error_code::forbidden:
      return 403;
    case error_code::overloaded:
      return 429;
    case error_code::timeout:
      return 504;
    case error_code::node_down:
    case error_code::handler_failed:
    case error_code::worker_down:
      return 502;
    case error_code::shutting_down:
    case error_code::no_worker:
      return 503;
  }
  return 500;
}

struct http_front_door::impl {
  caf::actor_system& sys;
  router_ref sb;
  const mesh* net;
  http_settings settings;
  std::unique_ptr<httplib::Server> server;
  std::thread runner;
  std::atomic<bool> ready{false};
  /// Refusals already logged, by identity and route: each once.
  std::mutex log_mtx;
  std::unordered_set<std::string> logged;

  impl(caf::actor_system& sys, router_ref sb, const mesh* net,
       http_settings settings)
    : sys(sys), sb(std::move(sb)), net(net), settings(std::move(settings)) {
    // nop
  }

  std::optional<std::string> identity_of(const httplib::Request& req) {
    if (req.ssl == nullptr)
      return std::nullopt;
    auto cn = detail::subject_common_name(req.ssl);
    if (cn.empty())
      return std::nullopt;
    return cn;
  }

  void log_refusal(const std::optional<std::string>& who,
                   const std::string& what) {
    auto key = who.value_or("") + '\n' + what;
    std::lock_guard<std::mutex> guard{log_mtx};
    if (logged.size() >= 4096 || !logged.insert(key).second)
      return;
    write_log("refused " + what + " from "
              + (who ? "'" + *who + "'" : std::string{"an anonymous client"}));
    if (logged.size() == 4096)
      write_log("further refusals are not logged");
  }

  void write_log(const std::string& line) {
    if (settings.log_refusal)
      settings.log_refusal(line);
    else
      std::fprintf(stderr, "http: %s\n", line.c_str());
  }

  const core::access_policy& policy() const {
    static const core::access_policy open;
    return settings.policy ? *settings.policy : open;
  }

  void call(const httplib::Request& req, httplib::Response& res) {
    auto route = req.matches[1].str();
    auto who = identity_of(req);
    if (!policy().may_call(who, route)) {
      log_refusal(who, "a call to '" + route + "'");
      json_error(res, 403, "forbidden",
                 "this client may not call route '" + route + "'");
      return;
    }
    caf::timespan timeout{0};
    if (req.has_header("Switchboard-Timeout")) {
      auto text = req.get_header_value("Switchboard-Timeout");
      auto d = config::parse_duration(text);
      if (!d || d->count() == 0) {
        auto why = config::duration_problem(text);
        json_error(res, 400, "bad_request",
                   "Switchboard-Timeout: "
                     + (why.empty() ? "'" + text + "' must be above 0"
                                    : why));
        return;
      }
      timeout = *d;
    }
    // This HTTP thread calls the route itself, as a blocking actor: the
    // request goes straight to a worker and the reply straight back here,
    // with no actor between. For a `caller_runs` route (the built-ins) it
    // runs an idle worker itself rather than sleep while a CAF thread
    // does: no thread switch beyond the bare server's.
    call_result result{caf::error{}};
    auto call = sb.call(caller(), route, req.body);
    if (timeout.count() > 0)
      call.timeout(timeout);
    call.receive([&](caf::message& x) { result = std::move(x); },
                 [&](caf::error& err) { result = std::move(err); });
    if (!result) {
      answer_error(res, result.error());
      return;
    }
    auto& msg = *result;
    res.status = 200;
    if (msg.match_elements<std::string>())
      res.set_content(msg.get_as<std::string>(0), "application/octet-stream");
    else
      res.set_content(caf::to_string(msg) + "\n", "text/plain");
  }

  /// This HTTP thread's blocking actor, made on its first call. The
  /// server's threads end in `stop`, before the actor system does, and
  /// take their actors with them.
  caf::scoped_actor& caller() {
    thread_local std::unique_ptr<caf::scoped_actor> self;
    if (!self)
      self = std::make_unique<caf::scoped_actor>(sys);
    return *self;
  }

  /// Reading what the node serves (routes, metrics) is for identities
  /// some rule names, as `routes` over CAF; else 403, logged once.
  bool may_read(const httplib::Request& req, httplib::Response& res,
                const std::string& what) {
    auto who = identity_of(req);
    if (policy().known(who))
      return true;
    log_refusal(who, what);
    json_error(res, 403, "forbidden", "this client may not read " + what);
    return false;
  }

  void routes(const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res, "the routes"))
      return;
    auto xs = sb.list();
    if (!xs) {
      answer_error(res, xs.error());
      return;
    }
    res.set_content(routes_json(*xs), "application/json");
  }

  void metrics(const httplib::Request& req, httplib::Response& res) {
    if (!may_read(req, res, "the metrics"))
      return;
    std::vector<core::peer_stats> peers;
    if (net != nullptr)
      peers = net->peer_stats();
    res.set_content(prometheus(sb.stats(), peers, read_process()),
                    "text/plain; version=0.0.4");
  }
};

http_front_door::http_front_door(caf::actor_system& sys, router_ref sb,
                                 const mesh* net, http_settings settings)
  : impl_(std::make_unique<impl>(sys, std::move(sb), net,
                                 std::move(settings))) {
  // nop
}

http_front_door::~http_front_door() {
  stop();
}

std::variant<uint16_t, std::string> http_front_door::start() {
  auto& d = *impl_;
  auto& hs = d.settings.http;
  if (d.settings.tls) {
    auto& t = *d.settings.tls;
    auto srv = std::make_unique<httplib::SSLServer>(
      t.certificate.c_str(), t.key.c_str(), t.ca.c_str());
    if (!srv->is_valid())
      return std::string{"cannot load [tls] files for HTTPS"};
    SSL_CTX_set_min_proto_version(srv->ssl_context(), TLS1_2_VERSION);
    d.server = std::move(srv);
  } else {
    d.server = std::make_unique<httplib::Server>();
  }
  auto& srv = *d.server;
  auto threads = static_cast<size_t>(hs.threads);
  auto max_conn = hs.max_connections;
  srv.new_task_queue = [threads, max_conn] {
    return new bounded_queue(threads, max_conn);
  };
  auto secs = std::chrono::duration_cast<std::chrono::microseconds>(
    hs.read_timeout);
  srv.set_read_timeout(secs.count() / 1000000, secs.count() % 1000000);
  srv.set_write_timeout(secs.count() / 1000000, secs.count() % 1000000);
  srv.set_keep_alive_timeout(std::max<time_t>(1, secs.count() / 1000000));
  srv.set_keep_alive_max_count(1000);
  // Small replies go out at once, not after the peer's delayed ACK.
  srv.set_tcp_nodelay(true);
  srv.set_payload_max_length(d.settings.max_body);
  srv.set_pre_routing_handler(
    [](const httplib::Request&, httplib::Response& res) {
      if (!over_limit)
        return httplib::Server::HandlerResponse::Unhandled;
      res.set_header("Connection", "close");
      json_error(res, 503, "overloaded",
                 "the HTTP front door serves its maximum of connections");
      return httplib::Server::HandlerResponse::Handled;
    });
  srv.Post(R"(/v1/call/(.+))",
           [&d](const httplib::Request& req, httplib::Response& res) {
             d.call(req, res);
           });
  srv.Get("/v1/routes",
          [&d](const httplib::Request& req, httplib::Response& res) {
            d.routes(req, res);
          });
  srv.Get("/metrics",
          [&d](const httplib::Request& req, httplib::Response& res) {
            d.metrics(req, res);
          });
  srv.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  srv.Get("/readyz", [&d](const httplib::Request&, httplib::Response& res) {
    if (d.ready.load()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready\n", "text/plain");
    }
  });
  srv.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    // httplib's own refusals (404 for an unknown path, 413 for a body over
    // the limit, 400 for a malformed request) in the same JSON form.
    if (!res.body.empty())
      return;
    auto kind = res.status == 404 ? "not_found" : "bad_request";
    auto what = res.status == 404   ? "no such endpoint"
                : res.status == 413 ? "the body is larger than max_payload"
                                    : "malformed request";
    json_error(res, res.status, kind, what);
  });
  int port = -1;
  if (hs.listen.port == 0)
    port = srv.bind_to_any_port(hs.listen.host);
  else if (srv.bind_to_port(hs.listen.host, hs.listen.port))
    port = hs.listen.port;
  if (port < 0)
    return "cannot listen on " + config::to_string(hs.listen);
  d.runner = std::thread{[&srv] { srv.listen_after_bind(); }};
  return static_cast<uint16_t>(port);
}

void http_front_door::set_ready(bool ready) {
  impl_->ready.store(ready);
}

void http_front_door::stop() {
  auto& d = *impl_;
  if (d.server)
    d.server->stop();
  if (d.runner.joinable())
    d.runner.join();
}

} // namespace switchboard::daemon
