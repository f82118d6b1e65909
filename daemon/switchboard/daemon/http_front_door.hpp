#pragma once

// The daemon's HTTP front door (`[http]`): calls and metrics for any
// language, served by cpp-httplib on its own threads. docs/operations.md
// lists the endpoints, the status of each error and the limits.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <caf/fwd.hpp>

#include "switchboard/config/node_config.hpp"
#include "switchboard/core/access_policy.hpp"
#include "switchboard/mesh.hpp"
#include "switchboard/router.hpp"

namespace switchboard::daemon {

/// The HTTP status of a switchboard error, as `POST /v1/call` answers it:
/// no_such_route 404, bad_request 400 (413 when the payload is over the
/// route's max_payload), forbidden 403, overloaded 429, timeout 504,
/// node_down, handler_failed and worker_down 502, shutting_down and
/// no_worker 503.
int http_status(const caf::error& err);

/// What the front door needs besides the router.
struct http_settings {
  config::http_config http;
  /// `[tls]`: serve HTTPS and require client certificates from `ca`.
  std::optional<tls_files> tls;
  /// The node's `[[allow]]` rules (identity = client certificate CN).
  std::shared_ptr<const core::access_policy> policy;
  /// The largest request body taken (the largest route max_payload).
  uint64_t max_body = 1048576;
  /// Receives each refusal line (`refused a call to 'x' from 'mallory'`),
  /// once per identity and what it tried; default: standard error,
  /// prefixed "http: ".
  std::function<void(const std::string&)> log_refusal;
};

class http_front_door {
public:
  /// `net` (may be null) reports the peers for `switchboard_peer_*`.
  http_front_door(caf::actor_system& sys, router_ref sb, const mesh* net,
                  http_settings settings);

  /// Stops serving (waits for the requests being served).
  ~http_front_door();

  http_front_door(const http_front_door&) = delete;
  http_front_door& operator=(const http_front_door&) = delete;

  /// Binds and starts serving on the front door's own threads. Returns the
  /// port bound, or why not.
  std::variant<uint16_t, std::string> start();

  /// `GET /readyz` answers 200 while ready, 503 otherwise (not yet
  /// listening, or draining).
  void set_ready(bool ready);

  /// Stops accepting and waits for the requests being served.
  void stop();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::daemon
