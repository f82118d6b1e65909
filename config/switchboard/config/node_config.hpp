#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "switchboard/core/policy.hpp"

namespace switchboard::config {

/// Where something stands in a configuration file (1-based).
struct source_position {
  std::string file;
  uint32_t line = 0;
  uint32_t column = 0;
};

/// One problem found in a configuration, with where it is.
struct problem {
  source_position where;
  std::string message;
};

/// Renders `FILE:LINE:COL: message`.
std::string to_string(const problem& x);

/// A `HOST:PORT` to listen on or connect to.
struct host_port {
  std::string host;
  uint16_t port = 0;
};

/// Renders `HOST:PORT`, with brackets around an IPv6 host (`[::1]:7700`).
std::string to_string(const host_port& x);

/// Defaults every route inherits (`[limits]`).
struct limits_config {
  std::chrono::nanoseconds timeout = std::chrono::seconds{5};
  int64_t max_in_flight = 10000;
  uint64_t max_payload = 1024 * 1024;
};

/// How a route's requests are handled.
enum class handler_kind : uint8_t { builtin, exec, plugin };

std::string_view to_string(handler_kind x) noexcept;

/// One `[[route]]`.
struct route_config {
  std::string name;
  handler_kind kind = handler_kind::builtin;
  /// `handler = "..."`: the built-in's name.
  std::string builtin;
  /// `exec = [...]`: the program and its arguments (never a shell). A
  /// relative program path with a `/` is resolved against the directory of
  /// the configuration file; a bare name is kept for a PATH lookup.
  std::vector<std::string> argv;
  /// `env = {...}`: the child's whole environment (empty if not given).
  std::map<std::string, std::string> env;
  /// `plugin = "..."`: path of the shared library. Like an exec program: a
  /// relative path with a `/` is resolved against the directory of the
  /// configuration file; a bare name is left to dlopen's library search.
  std::string plugin;
  size_t workers = 1;
  core::policy_kind policy = core::policy_kind::round_robin;
  /// Per-route overrides of `[limits]`; unset means "use the limit".
  std::optional<std::chrono::nanoseconds> timeout;
  std::optional<int64_t> max_in_flight;
  std::optional<uint64_t> max_payload;
  /// Where the route's table and its handler value stand, for the errors
  /// that only the daemon can find (a missing program, a bad plugin).
  source_position position;
  source_position handler_position;
};

/// How the node talks to its peers (`[mesh]`). Only timing and batching:
/// the peers themselves are `[[peer]]`s, the transport is `[tls]`.
struct mesh_config {
  /// A link with nothing else to send sends a heartbeat this often (> 0).
  std::chrono::nanoseconds heartbeat = std::chrono::milliseconds{500};
  /// A peer silent for this long is declared down; at least twice
  /// `heartbeat`.
  std::chrono::nanoseconds peer_timeout = std::chrono::seconds{2};
  /// The longest wait between two attempts to reach a peer (> 0).
  std::chrono::nanoseconds retry_max = std::chrono::seconds{5};
  /// At most this many requests (or replies) in one network message, in
  /// [1, 65536].
  size_t max_batch = 1024;
  /// `max_batch_bytes`: a link sends a batch before its payloads pass this
  /// many bytes, in [64KiB, 1GiB]. With `[limits] max_payload` it sets the
  /// largest frame a connection may carry (see docs/security.md).
  uint64_t max_batch_bytes = 4 * 1024 * 1024;
  /// `link_max_in_flight`: calls from one peer in flight on this node at
  /// once; beyond, the peer's calls get `overloaded`. In [1, 1000000].
  int64_t link_max_in_flight = 10000;
  /// `max_advert_routes`: the most routes one peer may advertise; a
  /// larger advertisement closes the link. In [1, 1000000].
  size_t max_advert_routes = 100000;
};

/// One `[[peer]]`: a node this node connects to. Does not say whether the
/// peer is reachable; the reader never resolves or contacts it.
struct peer_config {
  /// `connect = "HOST:PORT"` (the port is never 0).
  host_port address;
  /// Where the `connect` value stands, for errors about this peer.
  source_position position;
};

/// `[tls]`: the node's TLS identity, PEM files. Relative paths in the file
/// are resolved against the directory of the configuration file; the reader
/// does not check that the files exist (`daemon::plan_node` does).
struct tls_config {
  /// The node's certificate chain.
  std::string certificate;
  /// The private key of `certificate`.
  std::string key;
  /// The authority every peer's (and client's) certificate must chain to.
  std::string ca;
  /// Where the `[tls]` table stands.
  source_position position;
  /// Where each value stands, for errors about that file.
  source_position certificate_position;
  source_position key_position;
  source_position ca_position;
};

/// One `[[allow]]` rule: what the holders of certificates whose subject
/// name matches `identity` may do. Rules need `[tls]` (identities come from
/// certificates). Once any rule exists, whatever no rule allows is
/// forbidden.
struct allow_rule {
  /// `identity = "billing-*"`: glob (`*` any run, `?` one character) on the
  /// certificate's subject common name.
  std::string identity;
  /// `call = ["invoice.*", "echo"]`: globs of the routes it may call.
  std::vector<std::string> call;
  /// `peer = true`: it may join the mesh (under its certificate's name)
  /// and advertise routes.
  bool peer = false;
  /// Where the `[[allow]]` table stands.
  source_position position;
};

/// `[http]`: the HTTP front door (off when the table is absent). Under
/// `[tls]` it serves HTTPS and asks clients for certificates from the same
/// CA; `[[allow]]` rules apply to its calls as to CAF ones.
struct http_config {
  host_port listen;
  /// Where the `listen` value stands.
  source_position listen_position;
  /// Connections served at once; a connection beyond it gets 503 and is
  /// closed.
  int64_t max_connections = 256;
  /// Threads serving connections (each serves one connection at a time).
  int64_t threads = 16;
  /// How long a client may take to send a request, and how long an idle
  /// keep-alive connection stays open.
  std::chrono::nanoseconds read_timeout = std::chrono::seconds{5};
};

/// How much the node logs: the least severe level written (`off`: nothing).
enum class log_level : uint8_t { trace, debug, info, warn, error, off };

/// `"trace"`, `"debug"`, `"info"`, `"warn"`, `"error"` or `"off"`.
std::string_view to_string(log_level x) noexcept;

/// The level named `x` as `to_string` writes it; nothing for anything else.
std::optional<log_level> parse_log_level(std::string_view x);

/// How each log line is written: `key=value` text or one JSON object.
enum class log_format : uint8_t { text, json };

/// `"text"` or `"json"`.
std::string_view to_string(log_format x) noexcept;

/// `[log]`: the daemon's log on standard error (docs/operations.md). Does
/// not say where lines go: always standard error.
struct log_config {
  log_level level = log_level::info;
  log_format format = log_format::text;
};

/// A whole node: `[node]`, `[limits]`, every `[[route]]`, `[mesh]`, every
/// `[[peer]]`, `[tls]`, every `[[allow]]`, `[http]` and `[log]`.
struct node_config {
  /// `[node] name`; defaults to the host name.
  std::string name;
  /// `[node] listen`; unset means "do not listen".
  std::optional<host_port> listen;
  /// Where the `listen` value stands.
  source_position listen_position;
  /// `[node] insecure`: allow listening on a non-loopback address without
  /// `[tls]` (protected mode is off). Default false: such a config is
  /// refused.
  bool insecure = false;
  /// `[node] drain`: how long a stopping node lets requests finish.
  std::chrono::nanoseconds drain = std::chrono::seconds{10};
  /// `[node] scheduler`: CAF's scheduler policy, "sharing" (the daemon's
  /// default: one queue, idle threads wake on a condition variable; lower
  /// latency at low load, and starting or stopping 100 000 routes takes
  /// about a second) or "stealing" (CAF's default: idle threads poll with
  /// short sleeps; on 2 cores its spinning made stopping 100 000 routes
  /// take minutes). See docs/benchmarks.md.
  std::string scheduler = "sharing";
  limits_config limits;
  std::vector<route_config> routes;
  /// `[mesh]`; every default when absent.
  mesh_config mesh;
  /// Every `[[peer]]`, in document order, no two with the same address.
  std::vector<peer_config> peers;
  /// `[tls]`; unset means plain TCP without authentication.
  std::optional<tls_config> tls;
  /// `[http]`; unset means no HTTP front door.
  std::optional<http_config> http;
  /// Every `[[allow]]`, in document order; empty means "no access rules":
  /// every connected party may call every route and join the mesh.
  std::vector<allow_rule> allow;
  /// `[log]`; every default when absent.
  log_config log;
};

/// The outcome of reading a configuration: a config, or every problem.
struct load_result {
  std::optional<node_config> config;
  std::vector<problem> problems;
};

/// The bounds the reader enforces; docs/configuration.md lists each.
namespace bounds {

/// The longest duration anything accepts (365 days): a deadline `now +
/// max_duration` never overflows a clock.
inline constexpr std::chrono::nanoseconds max_duration
  = std::chrono::hours{24 * 365};
/// `workers` of a route.
inline constexpr int64_t max_workers = 4096;
/// `max_in_flight` of `[limits]` and of a route.
inline constexpr int64_t max_in_flight = 1000000;
/// `[[route]]` tables in one configuration.
inline constexpr size_t max_routes = 100000;
/// `[mesh] heartbeat` and `peer_timeout`.
inline constexpr std::chrono::nanoseconds min_heartbeat
  = std::chrono::milliseconds{10};
inline constexpr std::chrono::nanoseconds min_peer_timeout
  = std::chrono::milliseconds{20};
/// `[mesh] max_batch_bytes`.
inline constexpr uint64_t min_batch_bytes = 64 * 1024;
inline constexpr uint64_t max_batch_bytes = 1024ull * 1024 * 1024;
/// `[mesh] link_max_in_flight` and `max_advert_routes`.
inline constexpr int64_t max_link_in_flight = 1000000;
inline constexpr int64_t max_advert_routes = 1000000;
/// `[http] max_connections` and `threads`.
inline constexpr int64_t max_http_connections = 65536;
inline constexpr int64_t max_http_threads = 1024;

} // namespace bounds

/// Parses `"250ms"`, `"5s"`, `"1m"`, `"1h"`, `"100us"`, `"10ns"` (a
/// non-negative integer and a unit) of at most `bounds::max_duration`.
/// Nothing for anything else, including a number whose product with its
/// unit would not fit (no multiplication wraps).
std::optional<std::chrono::nanoseconds> parse_duration(std::string_view x);

/// Says what is wrong with `x` as a duration for `parse_duration` (not a
/// number and a unit, or longer than `bounds::max_duration`), or nothing
/// (empty) if it parses. For messages: `"'9999h' is longer than 8760h,
/// the longest duration"`.
std::string duration_problem(std::string_view x);

/// Parses `"512B"`, `"64KiB"`, `"1MiB"`, `"2GiB"` (binary units only).
std::optional<uint64_t> parse_size(std::string_view x);

/// Parses `"HOST:PORT"` (`[::1]:7700` for IPv6; port 0 = any). A host with
/// a bracket of its own (`[[x]:1`, `a]:1`) is refused: `to_string` could
/// not write it back.
std::optional<host_port> parse_host_port(std::string_view x);

/// Reads a configuration from TOML text. Every problem is reported (not
/// just the first) with the position of the offending key or value:
/// syntax errors, unknown keys, wrong types, bad durations/sizes/addresses,
/// invalid (`core::route_name_problem`) or duplicate route names, a route
/// with none or several of `handler` / `exec` / `plugin`, values outside
/// their `bounds`, more than `bounds::max_routes` routes, a `[[peer]]`
/// without an address or with one given before, a `[tls]` without one of
/// its files, a malformed `[[allow]]` or one without `[tls]`, and a
/// `listen` on a non-loopback address without `[tls]` unless `[node]
/// insecure = true` (protected mode).
///
/// `source` names the text in positions. Unless it is in angle brackets
/// (`<built-in default>`), it is taken as the path of the file the text
/// came from: relative `[tls]` paths, and relative `plugin` paths and
/// `exec` programs that contain a `/`, are resolved against its directory
/// (a bare name is left to PATH or dlopen's search). Nothing here touches the file system.
load_result parse_config(std::string_view text, const std::string& source);

/// Reads and parses the file at `path`.
load_result load_config_file(const std::string& path);

/// The configuration `switchboard serve` runs without `--config`.
extern const char* const default_config_text;

} // namespace switchboard::config
