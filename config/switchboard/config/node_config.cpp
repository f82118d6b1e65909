#include "switchboard/config/node_config.hpp"

#include "switchboard/core/loopback.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <toml++/toml.h>

#include "switchboard/core/route_name.hpp"

namespace switchboard::config {

const char* const default_config_text = R"(# Built-in default of `switchboard serve`.
[node]
listen = "127.0.0.1:7700"

[[route]]
name = "echo"
handler = "echo"
workers = 2
)";

std::string to_string(const problem& x) {
  if (x.where.line == 0) // about the whole file
    return x.where.file + ": " + x.message;
  return x.where.file + ":" + std::to_string(x.where.line) + ":"
         + std::to_string(x.where.column) + ": " + x.message;
}

std::string to_string(const host_port& x) {
  auto port = std::to_string(x.port);
  if (x.host.find(':') != std::string::npos)
    return "[" + x.host + "]:" + port;
  return x.host + ":" + port;
}

std::string_view to_string(handler_kind x) noexcept {
  switch (x) {
    case handler_kind::builtin:
      return "builtin";
    case handler_kind::exec:
      return "exec";
    case handler_kind::plugin:
      return "plugin";
  }
  return "unknown";
}

std::string_view to_string(log_level x) noexcept {
  switch (x) {
    case log_level::trace:
      return "trace";
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::warn:
      return "warn";
    case log_level::error:
      return "error";
    case log_level::off:
      return "off";
  }
  return "unknown";
}

std::optional<log_level> parse_log_level(std::string_view x) {
  for (auto level : {log_level::trace, log_level::debug, log_level::info,
                     log_level::warn, log_level::error, log_level::off})
    if (to_string(level) == x)
      return level;
  return std::nullopt;
}

std::string_view to_string(log_format x) noexcept {
  return x == log_format::json ? "json" : "text";
}

namespace {

/// Splits `"<digits><unit>"` and multiplies by the unit's scale; nothing
/// for a missing number, an unknown unit or an overflow past `max`.
std::optional<uint64_t>
scaled_number(std::string_view x,
              std::initializer_list<std::pair<std::string_view, uint64_t>> units,
              uint64_t max) {
  size_t i = 0;
  uint64_t n = 0;
  while (i < x.size() && std::isdigit(static_cast<unsigned char>(x[i]))) {
    auto digit = static_cast<uint64_t>(x[i] - '0');
    if (n > (std::numeric_limits<uint64_t>::max() - digit) / 10)
      return std::nullopt;
    n = n * 10 + digit;
    ++i;
  }
  if (i == 0)
    return std::nullopt;
  auto unit = x.substr(i);
  for (auto& [name, scale] : units)
    if (unit == name) {
      if (n > max / scale)
        return std::nullopt;
      return n * scale;
    }
  return std::nullopt;
}

} // namespace

std::optional<std::chrono::nanoseconds> parse_duration(std::string_view x) {
  constexpr uint64_t ns_per_s = 1000ull * 1000 * 1000;
  // scaled_number checks the digits and the product with the unit against
  // the bound, so neither the accumulation nor the scaling can wrap.
  auto n = scaled_number(x,
                         {{"ns", 1},
                          {"us", 1000},
                          {"ms", 1000ull * 1000},
                          {"s", ns_per_s},
                          {"m", 60 * ns_per_s},
                          {"h", 3600 * ns_per_s}},
                         static_cast<uint64_t>(bounds::max_duration.count()));
  if (!n)
    return std::nullopt;
  return std::chrono::nanoseconds{static_cast<int64_t>(*n)};
}

namespace {

/// Whether `x` is a number and a known unit that only fails for being
/// longer than `bounds::max_duration`.
bool too_long(std::string_view x) {
  auto digits = x.find_first_not_of("0123456789");
  return !parse_duration(x) && digits != 0 && digits != std::string_view::npos
         && parse_duration("0" + std::string{x.substr(digits)});
}

std::string longest_duration_text() {
  using std::chrono::hours;
  return std::to_string(
           std::chrono::duration_cast<hours>(bounds::max_duration).count())
         + "h";
}

} // namespace

std::string duration_problem(std::string_view x) {
  if (parse_duration(x))
    return {};
  auto quoted = "'" + std::string{x} + "'";
  if (too_long(x))
    return quoted + " is longer than " + longest_duration_text()
           + ", the longest duration";
  return quoted + " is not a duration (e.g. \"250ms\", \"5s\", \"1m\")";
}

std::optional<uint64_t> parse_size(std::string_view x) {
  return scaled_number(x,
                       {{"B", 1},
                        {"KiB", 1024},
                        {"MiB", 1024 * 1024},
                        {"GiB", 1024ull * 1024 * 1024}},
                       std::numeric_limits<uint64_t>::max());
}

std::optional<host_port> parse_host_port(std::string_view x) {
  host_port result;
  std::string_view port;
  if (!x.empty() && x.front() == '[') {
    auto close = x.find(']');
    if (close == std::string_view::npos || close + 1 >= x.size()
        || x[close + 1] != ':')
      return std::nullopt;
    result.host = std::string{x.substr(1, close - 1)};
    port = x.substr(close + 2);
  } else {
    auto colon = x.rfind(':');
    if (colon == std::string_view::npos)
      return std::nullopt;
    result.host = std::string{x.substr(0, colon)};
    if (result.host.find(':') != std::string::npos)
      return std::nullopt; // an IPv6 address needs brackets
    port = x.substr(colon + 1);
  }
  // Brackets only enclose an IPv6 host: a host holding one could not be
  // written back (`to_string`) and read again.
  if (result.host.empty() || port.empty() || port.size() > 5
      || result.host.find_first_of("[]") != std::string::npos)
    return std::nullopt;
  uint32_t value = 0;
  for (auto c : port) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535)
    return std::nullopt;
  result.port = static_cast<uint16_t>(value);
  return result;
}

namespace {

/// Renders a duration in the largest unit that holds it exactly, the way
/// parse_duration reads it back (`"1500ms"`, `"2s"`).
std::string duration_text(std::chrono::nanoseconds x) {
  constexpr int64_t ns_per_s = 1000ll * 1000 * 1000;
  auto n = x.count();
  for (auto [name, scale] :
       {std::pair<const char*, int64_t>{"h", 3600 * ns_per_s},
        {"m", 60 * ns_per_s},
        {"s", ns_per_s},
        {"ms", 1000 * 1000},
        {"us", 1000}})
    if (n != 0 && n % scale == 0)
      return std::to_string(n / scale) + name;
  return std::to_string(n) + "ns";
}

/// Renders a size in the largest binary unit that holds it exactly.
std::string size_text(uint64_t x) {
  for (auto [name, scale] : {std::pair<const char*, uint64_t>{"GiB", 1ull << 30},
                             {"MiB", 1ull << 20},
                             {"KiB", 1ull << 10}})
    if (x != 0 && x % scale == 0)
      return std::to_string(x / scale) + name;
  return std::to_string(x) + "B";
}

/// Whether `source` names a file (and not, say, `<built-in default>`).
bool names_a_file(const std::string& source) {
  return !(source.size() >= 2 && source.front() == '<' && source.back() == '>');
}

/// Largest `[mesh] max_batch`.
constexpr int64_t max_batch_limit = 65536;

/// Collects problems while walking one document.
class reader {
public:
  explicit reader(std::string source) {
    // (Read before the move: GCC 12 sees the moved-to member as maybe
    // uninitialized here.)
    if (names_a_file(source))
      base_dir_ = std::filesystem::path{source}.parent_path();
    source_ = std::move(source);
  }

  /// A path written in the document, resolved against the directory of the
  /// file it came from (when it came from a file).
  std::string resolve(const std::string& x) const {
    std::filesystem::path p{x};
    if (!base_dir_ || p.is_absolute())
      return x;
    return (*base_dir_ / p).string();
  }

  /// Like `resolve`, but a bare name (no `/`) is kept as written: it is
  /// looked up (PATH, dlopen's search), not taken from the directory.
  std::string resolve_if_path(const std::string& x) const {
    if (x.find('/') == std::string::npos)
      return x;
    return resolve(x);
  }

  source_position at(const toml::source_region& r) const {
    return {source_, static_cast<uint32_t>(r.begin.line),
            static_cast<uint32_t>(r.begin.column)};
  }

  void report(const toml::source_region& r, std::string msg) {
    problems_.push_back({at(r), std::move(msg)});
  }

  /// Reports every key of `tbl` not in `known`.
  void check_keys(const toml::table& tbl, const std::string& where,
                  std::initializer_list<std::string_view> known) {
    for (auto&& [key, value] : tbl) {
      static_cast<void>(value);
      bool found = false;
      for (auto k : known)
        found = found || key.str() == k;
      if (!found) {
        std::string list;
        for (auto k : known) {
          if (!list.empty())
            list += ", ";
          list += k;
        }
        report(key.source(), "unknown key '" + std::string{key.str()}
                               + "' in " + where + " (known: " + list + ")");
      }
    }
  }

  std::optional<std::string> string(const toml::node& n,
                                    const std::string& what) {
    if (auto s = n.as_string())
      return s->get();
    report(n.source(), what + " must be a string, not " + type_of(n));
    return std::nullopt;
  }

  std::optional<std::chrono::nanoseconds> duration(const toml::node& n,
                                                   const std::string& what) {
    auto s = string(n, what);
    if (!s)
      return std::nullopt;
    auto d = parse_duration(*s);
    if (d && d->count() > 0)
      return d;
    if (too_long(*s))
      report(n.source(), what + " " + duration_problem(*s));
    else
      report(n.source(), what + " '" + *s
                           + "' is not a positive duration (e.g. \"250ms\", "
                             "\"5s\", \"1m\")");
    return std::nullopt;
  }

  /// A duration of at least `min`.
  std::optional<std::chrono::nanoseconds>
  duration_at_least(const toml::node& n, const std::string& what,
                    std::chrono::nanoseconds min) {
    auto d = duration(n, what);
    if (d && *d < min) {
      report(n.source(), what + " '" + n.as_string()->get()
                           + "' must be at least " + duration_text(min));
      return std::nullopt;
    }
    return d;
  }

  /// An integer in [lo, hi].
  std::optional<int64_t> integer_in(const toml::node& n,
                                    const std::string& what, int64_t lo,
                                    int64_t hi) {
    auto i = n.as_integer();
    if (!i) {
      report(n.source(), what + " must be an integer, not " + type_of(n));
      return std::nullopt;
    }
    auto v = i->get();
    if (v < lo || v > hi) {
      report(n.source(), what + " must be at " + (v < lo ? "least " : "most ")
                           + std::to_string(v < lo ? lo : hi) + ", not "
                           + std::to_string(v));
      return std::nullopt;
    }
    return v;
  }

  /// Whether the size `x` (the value of `n`) lies in [lo, hi]; reports it
  /// if not.
  bool size_in(const toml::node& n, const std::string& what, uint64_t x,
               uint64_t lo, uint64_t hi) {
    if (x >= lo && x <= hi)
      return true;
    report(n.source(), what + " '" + n.as_string()->get() + "' must be at "
                         + (x < lo ? "least " : "most ")
                         + size_text(x < lo ? lo : hi));
    return false;
  }

  std::optional<bool> boolean(const toml::node& n, const std::string& what) {
    if (auto b = n.as_boolean())
      return b->get();
    report(n.source(), what + " must be a boolean, not " + type_of(n));
    return std::nullopt;
  }

  std::optional<uint64_t> size(const toml::node& n, const std::string& what) {
    auto s = string(n, what);
    if (!s)
      return std::nullopt;
    auto x = parse_size(*s);
    if (!x || *x == 0) {
      report(n.source(), what + " '" + *s
                           + "' is not a positive size (e.g. \"512B\", "
                             "\"64KiB\", \"1MiB\")");
      return std::nullopt;
    }
    return x;
  }

  static std::string type_of(const toml::node& n) {
    switch (n.type()) {
      case toml::node_type::table:
        return "a table";
      case toml::node_type::array:
        return "an array";
      case toml::node_type::string:
        return "a string";
      case toml::node_type::integer:
        return "an integer";
      case toml::node_type::floating_point:
        return "a float";
      case toml::node_type::boolean:
        return "a boolean";
      default:
        return "a date/time";
    }
  }

  void read_node(const toml::table& tbl, node_config& cfg) {
    check_keys(tbl, "[node]",
               {"name", "listen", "insecure", "drain", "scheduler"});
    if (auto n = tbl.get("name"))
      if (auto s = string(*n, "node.name")) {
        if (s->empty())
          report(n->source(), "node.name must not be empty");
        else
          cfg.name = *s;
      }
    if (auto n = tbl.get("listen"))
      if (auto s = string(*n, "node.listen")) {
        if (auto hp = parse_host_port(*s)) {
          cfg.listen = *hp;
          cfg.listen_position = at(n->source());
        } else
          report(n->source(), "node.listen '" + *s
                                + "' is not HOST:PORT (e.g. "
                                  "\"127.0.0.1:7700\", port 0 = any)");
      }
    if (auto n = tbl.get("insecure"))
      if (auto b = boolean(*n, "node.insecure"))
        cfg.insecure = *b;
    if (auto n = tbl.get("drain"))
      if (auto d = duration(*n, "node.drain"))
        cfg.drain = *d;
    if (auto n = tbl.get("scheduler"))
      if (auto s = string(*n, "node.scheduler")) {
        if (*s == "stealing" || *s == "sharing")
          cfg.scheduler = *s;
        else
          report(n->source(), "node.scheduler '" + *s
                                + "' is not \"stealing\" or \"sharing\"");
      }
  }

  void read_limits(const toml::table& tbl, limits_config& lim) {
    check_keys(tbl, "[limits]", {"timeout", "max_in_flight", "max_payload"});
    if (auto n = tbl.get("timeout"))
      if (auto d = duration(*n, "limits.timeout"))
        lim.timeout = *d;
    if (auto n = tbl.get("max_in_flight"))
      if (auto i = integer_in(*n, "limits.max_in_flight", 1,
                              bounds::max_in_flight))
        lim.max_in_flight = *i;
    if (auto n = tbl.get("max_payload"))
      if (auto x = size(*n, "limits.max_payload"))
        lim.max_payload = *x;
  }

  void read_mesh(const toml::table& tbl, mesh_config& mesh) {
    check_keys(tbl, "[mesh]",
               {"heartbeat", "peer_timeout", "retry_max", "max_batch",
                "max_batch_bytes", "link_max_in_flight", "max_advert_routes"});
    read_mesh_timing(tbl, mesh);
    read_mesh_limits(tbl, mesh);
  }

  /// heartbeat, peer_timeout (at least twice heartbeat) and retry_max.
  void read_mesh_timing(const toml::table& tbl, mesh_config& mesh) {
    // A value that is present but bad skips the rule that relates it to
    // another one: the value itself is reported already.
    bool heartbeat_ok = true;
    bool peer_timeout_ok = true;
    auto heartbeat = tbl.get("heartbeat");
    if (heartbeat) {
      if (auto d = duration_at_least(*heartbeat, "mesh.heartbeat",
                                     bounds::min_heartbeat))
        mesh.heartbeat = *d;
      else
        heartbeat_ok = false;
    }
    auto peer_timeout = tbl.get("peer_timeout");
    if (peer_timeout) {
      if (auto d = duration_at_least(*peer_timeout, "mesh.peer_timeout",
                                     bounds::min_peer_timeout))
        mesh.peer_timeout = *d;
      else
        peer_timeout_ok = false;
    }
    // peer_timeout >= 2 * heartbeat, without overflowing the product.
    if (heartbeat_ok && peer_timeout_ok
        && mesh.peer_timeout.count() / 2 < mesh.heartbeat.count()) {
      // The defaults obey the rule, so one of the two is in the file; the
      // problem stands at peer_timeout unless only heartbeat is given.
      auto where = peer_timeout != nullptr ? peer_timeout : heartbeat;
      auto shown = [](const toml::node* n, std::chrono::nanoseconds x) {
        if (n != nullptr)
          return "'" + n->as_string()->get() + "'";
        return "'" + duration_text(x) + "' (the default)";
      };
      auto msg = "mesh.peer_timeout " + shown(peer_timeout, mesh.peer_timeout)
                 + " must be at least twice mesh.heartbeat "
                 + shown(heartbeat, mesh.heartbeat);
      if (mesh.heartbeat.count() <= std::numeric_limits<int64_t>::max() / 2)
        msg += ", so at least '" + duration_text(mesh.heartbeat * 2) + "'";
      if (where != nullptr)
        report(where->source(), std::move(msg));
    }
    if (auto n = tbl.get("retry_max"))
      if (auto d = duration(*n, "mesh.retry_max"))
        mesh.retry_max = *d;
  }

  /// What one batch, one peer's calls and one peer's advertisement may
  /// hold.
  void read_mesh_limits(const toml::table& tbl, mesh_config& mesh) {
    if (auto n = tbl.get("max_batch"))
      if (auto i = integer_in(*n, "mesh.max_batch", 1, max_batch_limit))
        mesh.max_batch = static_cast<size_t>(*i);
    if (auto n = tbl.get("max_batch_bytes"))
      if (auto x = size(*n, "mesh.max_batch_bytes"))
        if (size_in(*n, "mesh.max_batch_bytes", *x, bounds::min_batch_bytes,
                    bounds::max_batch_bytes))
          mesh.max_batch_bytes = *x;
    if (auto n = tbl.get("link_max_in_flight"))
      if (auto i = integer_in(*n, "mesh.link_max_in_flight", 1,
                              bounds::max_link_in_flight))
        mesh.link_max_in_flight = *i;
    if (auto n = tbl.get("max_advert_routes"))
      if (auto i = integer_in(*n, "mesh.max_advert_routes", 1,
                              bounds::max_advert_routes))
        mesh.max_advert_routes = static_cast<size_t>(*i);
  }

  std::optional<http_config> read_http(const toml::table& tbl) {
    check_keys(tbl, "[http]",
               {"listen", "max_connections", "threads", "read_timeout"});
    http_config result;
    bool ok = true;
    if (auto n = tbl.get("listen")) {
      if (auto s = string(*n, "http.listen")) {
        if (auto hp = parse_host_port(*s)) {
          result.listen = *hp;
          result.listen_position = at(n->source());
        } else {
          report(n->source(), "http.listen '" + *s
                                + "' is not HOST:PORT (e.g. "
                                  "\"127.0.0.1:7780\", port 0 = any)");
          ok = false;
        }
      } else {
        ok = false;
      }
    } else {
      report(tbl.source(), "[http] needs listen = \"HOST:PORT\"");
      ok = false;
    }
    if (auto n = tbl.get("max_connections")) {
      if (auto i = integer_in(*n, "http.max_connections", 1,
                              bounds::max_http_connections))
        result.max_connections = *i;
    }
    if (auto n = tbl.get("threads")) {
      if (auto i = integer_in(*n, "http.threads", 1, bounds::max_http_threads))
        result.threads = *i;
    }
    if (auto n = tbl.get("read_timeout"))
      if (auto d = duration_at_least(*n, "http.read_timeout",
                                     std::chrono::milliseconds{1}))
        result.read_timeout = *d;
    if (!ok)
      return std::nullopt;
    return result;
  }

  void read_log(const toml::table& tbl, log_config& result) {
    check_keys(tbl, "[log]", {"level", "format"});
    if (auto n = tbl.get("level"))
      if (auto s = string(*n, "log.level")) {
        if (auto level = parse_log_level(*s))
          result.level = *level;
        else
          report(n->source(), "log.level '" + *s
                                + "' is not \"trace\", \"debug\", \"info\", "
                                  "\"warn\", \"error\" or \"off\"");
      }
    if (auto n = tbl.get("format"))
      if (auto s = string(*n, "log.format")) {
        if (*s == "text")
          result.format = log_format::text;
        else if (*s == "json")
          result.format = log_format::json;
        else
          report(n->source(),
                 "log.format '" + *s + "' is not \"text\" or \"json\"");
      }
  }

  std::optional<peer_config> read_peer(const toml::table& tbl) {
    check_keys(tbl, "[[peer]]", {"connect"});
    auto n = tbl.get("connect");
    if (n == nullptr) {
      report(tbl.source(), "a [[peer]] needs connect = \"HOST:PORT\"");
      return std::nullopt;
    }
    auto s = string(*n, "peer.connect");
    if (!s)
      return std::nullopt;
    auto hp = parse_host_port(*s);
    if (!hp) {
      report(n->source(), "peer.connect '" + *s
                            + "' is not HOST:PORT (e.g. \"10.0.0.2:7700\", "
                              "\"[::1]:7700\")");
      return std::nullopt;
    }
    if (hp->port == 0) {
      report(n->source(), "peer.connect '" + *s
                            + "' has port 0 (a peer is reached at its own "
                              "port)");
      return std::nullopt;
    }
    return peer_config{std::move(*hp), at(n->source())};
  }

  std::optional<tls_config> read_tls(const toml::table& tbl) {
    check_keys(tbl, "[tls]", {"certificate", "key", "ca"});
    tls_config result;
    result.position = at(tbl.source());
    bool ok = true;
    auto path = [&](const char* key, const char* what, std::string& value,
                    source_position& where) {
      auto name = "tls." + std::string{key};
      auto n = tbl.get(key);
      if (n == nullptr) {
        report(tbl.source(),
               "[tls] needs " + std::string{key} + " (" + what + ")");
        ok = false;
        return;
      }
      where = at(n->source());
      auto s = string(*n, name);
      if (!s) {
        ok = false;
      } else if (s->empty()) {
        report(n->source(), name + " must not be empty");
        ok = false;
      } else {
        value = resolve(*s);
      }
    };
    path("certificate", "the node's certificate chain, PEM", result.certificate,
         result.certificate_position);
    path("key", "the certificate's private key, PEM", result.key,
         result.key_position);
    path("ca", "the authority peers' certificates must chain to, PEM",
         result.ca, result.ca_position);
    if (!ok)
      return std::nullopt;
    return result;
  }

  /// A non-empty string glob.
  std::optional<std::string> glob(const toml::node& n,
                                  const std::string& what) {
    auto s = string(n, what);
    if (s && s->empty()) {
      report(n.source(), what + " must not be empty");
      return std::nullopt;
    }
    return s;
  }

  std::optional<allow_rule> read_allow(const toml::table& tbl) {
    check_keys(tbl, "[[allow]]", {"identity", "call", "peer"});
    allow_rule rule;
    rule.position = at(tbl.source());
    bool ok = true;
    if (auto n = tbl.get("identity")) {
      auto s = glob(*n, "allow.identity");
      ok = ok && s.has_value();
      rule.identity = s.value_or("");
    } else {
      report(tbl.source(), "an [[allow]] needs identity = \"GLOB\" (the "
                           "certificate's common name, e.g. \"billing-*\")");
      ok = false;
    }
    if (auto n = tbl.get("call"))
      ok = read_allow_calls(*n, rule) && ok;
    if (auto n = tbl.get("peer")) {
      auto b = boolean(*n, "allow.peer");
      ok = ok && b.has_value();
      rule.peer = b.value_or(false);
    }
    if (!ok)
      return std::nullopt;
    return rule;
  }

  bool read_allow_calls(const toml::node& n, allow_rule& rule) {
    auto arr = n.as_array();
    if (!arr) {
      report(n.source(), "allow.call must be an array of route globs, not "
                           + type_of(n));
      return false;
    }
    bool ok = true;
    for (auto&& elem : *arr) {
      if (auto s = glob(elem, "allow.call entry"))
        rule.call.push_back(*s);
      else
        ok = false;
    }
    return ok;
  }

  std::optional<route_config> read_route(const toml::table& tbl) {
    check_keys(tbl, "[[route]]",
               {"name", "handler", "exec", "plugin", "workers", "policy",
                "timeout", "max_in_flight", "max_payload", "env"});
    route_config r;
    r.position = at(tbl.source());
    bool ok = read_route_name(tbl, r);
    auto label = "route '" + r.name + "'";
    ok = read_handler(tbl, r, label) && ok;
    ok = read_env(tbl, r, label) && ok;
    ok = read_route_options(tbl, r, label) && ok;
    if (!ok)
      return std::nullopt;
    return r;
  }

  bool read_route_name(const toml::table& tbl, route_config& r) {
    auto n = tbl.get("name");
    if (n == nullptr) {
      report(tbl.source(), "a [[route]] needs a name");
      return false;
    }
    auto s = string(*n, "route.name");
    if (!s)
      return false;
    r.name = *s;
    if (s->empty()) {
      report(n->source(), "route.name must not be empty");
      return false;
    }
    if (auto why = core::route_name_problem(*s); !why.empty()) {
      report(n->source(), "route.name is not usable: " + why);
      return false;
    }
    return true;
  }

  /// Reads exactly one of handler / exec / plugin; a second one is
  /// reported where it stands in the file. False if none is usable.
  bool read_handler(const toml::table& tbl, route_config& r,
                    const std::string& label) {
    std::vector<std::pair<std::string_view, const toml::node*>> present;
    for (auto key : {"handler", "exec", "plugin"})
      if (auto n = tbl.get(key))
        present.emplace_back(key, n);
    if (present.empty()) {
      report(tbl.source(), label + " needs one of handler, exec or plugin");
      return false;
    }
    std::sort(present.begin(), present.end(), [](auto& x, auto& y) {
      auto& a = x.second->source().begin;
      auto& b = y.second->source().begin;
      return a.line != b.line ? a.line < b.line : a.column < b.column;
    });
    auto [key, n] = present.front();
    for (size_t i = 1; i < present.size(); ++i)
      report(present[i].second->source(),
             label + " has both " + std::string{key} + " and "
               + std::string{present[i].first}
               + " (choose one of handler, exec, plugin)");
    r.handler_position = at(n->source());
    auto ok = present.size() == 1;
    if (key == "handler") {
      r.kind = handler_kind::builtin;
      auto s = string(*n, label + " handler");
      if (s && s->empty()) {
        report(n->source(), label + " handler is empty (name a built-in "
                                    "handler, e.g. \"echo\")");
        return false;
      }
      r.builtin = s.value_or("");
      return s && ok;
    }
    if (key == "plugin") {
      r.kind = handler_kind::plugin;
      auto s = string(*n, label + " plugin");
      if (s && s->empty()) {
        report(n->source(), label + " plugin is empty (give the path of a "
                                    "shared object)");
        return false;
      }
      r.plugin = resolve_if_path(s.value_or(""));
      return s && ok;
    }
    r.kind = handler_kind::exec;
    return read_exec(*n, r, label) && ok;
  }

  /// Reads `exec = [...]`; the program is resolved like a plugin path.
  bool read_exec(const toml::node& n, route_config& r,
                 const std::string& label) {
    auto arr = n.as_array();
    if (!arr || arr->empty()) {
      report(n.source(), label
                           + " exec must be a non-empty array of strings "
                             "(the program and its arguments)");
      return false;
    }
    bool ok = true;
    for (auto&& elem : *arr) {
      if (auto s = elem.as_string()) {
        r.argv.push_back(r.argv.empty() ? resolve_if_path(s->get())
                                        : s->get());
      } else {
        report(elem.source(), label + " exec arguments must be strings, not "
                                + type_of(elem));
        ok = false;
      }
    }
    return ok;
  }

  /// Reads `env`, which only an exec route may have.
  bool read_env(const toml::table& tbl, route_config& r,
                const std::string& label) {
    auto n = tbl.get("env");
    if (n == nullptr)
      return true;
    // No handler form at all leaves the kind builtin.
    if (r.kind != handler_kind::exec) {
      report(n->source(), label + " env is only for exec routes");
      return false;
    }
    auto t = n->as_table();
    if (!t) {
      report(n->source(), label + " env must be a table, not " + type_of(*n));
      return false;
    }
    bool ok = true;
    for (auto&& [key, value] : *t) {
      if (auto s = string(value, label + " env." + std::string{key.str()}))
        r.env.emplace(std::string{key.str()}, *s);
      else
        ok = false;
    }
    return ok;
  }

  /// Reads workers, policy and the per-route limits.
  bool read_route_options(const toml::table& tbl, route_config& r,
                          const std::string& label) {
    bool ok = true;
    auto read = [&](const char* key, auto fun) {
      if (auto n = tbl.get(key))
        ok = fun(*n) && ok;
    };
    read("workers", [&](const toml::node& n) {
      auto i = integer_in(n, label + " workers", 1, bounds::max_workers);
      r.workers = static_cast<size_t>(i.value_or(1));
      return i.has_value();
    });
    read("policy", [&](const toml::node& n) { return read_policy(n, r, label); });
    read("timeout", [&](const toml::node& n) {
      r.timeout = duration(n, label + " timeout");
      return r.timeout.has_value();
    });
    read("max_in_flight", [&](const toml::node& n) {
      r.max_in_flight = integer_in(n, label + " max_in_flight", 1,
                                   bounds::max_in_flight);
      return r.max_in_flight.has_value();
    });
    read("max_payload", [&](const toml::node& n) {
      r.max_payload = size(n, label + " max_payload");
      return r.max_payload.has_value();
    });
    return ok;
  }

  bool read_policy(const toml::node& n, route_config& r,
                   const std::string& label) {
    auto s = string(n, label + " policy");
    if (!s)
      return false;
    if (auto p = core::parse_policy_kind(*s)) {
      r.policy = *p;
      return true;
    }
    report(n.source(), label + " policy '" + *s
                         + "' is unknown (round_robin, random, least_loaded, "
                           "consistent_hash, broadcast)");
    return false;
  }

  /// Reads `root[key]`, which must be an array of tables, with `one` per
  /// table; `what` is its header (`[[route]]`).
  template <class F>
  void each_table(const toml::table& root, const char* key, const char* what,
                  F one) {
    auto n = root.get(key);
    if (n == nullptr)
      return;
    auto arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
      report(n->source(), std::string{key} + " must be an array of tables ("
                            + what + ")");
      return;
    }
    for (auto&& elem : *arr)
      one(*elem.as_table());
  }

  /// Reads `root[key]`, which must be a table, with `one`.
  template <class F>
  void a_table(const toml::table& root, const char* key, F one) {
    auto n = root.get(key);
    if (n == nullptr)
      return;
    if (auto t = n->as_table())
      one(*t);
    else
      report(n->source(), std::string{key} + " must be a table ([" + key
                            + "])");
  }

  void read_routes(const toml::table& root, node_config& cfg) {
    std::set<std::string> names;
    size_t count = 0;
    each_table(root, "route", "[[route]]", [&](const toml::table& tbl) {
      if (++count == bounds::max_routes + 1)
        report(tbl.source(), "too many routes: a configuration holds at most "
                               + std::to_string(bounds::max_routes));
      // Duplicates are found even among routes with other problems.
      bool duplicate = false;
      if (auto name_node = tbl.get("name"))
        if (auto name = name_node->as_string())
          if (!name->get().empty() && !names.insert(name->get()).second) {
            report(name_node->source(),
                   "duplicate route name '" + name->get() + "'");
            duplicate = true;
          }
      auto r = read_route(tbl);
      if (r && !duplicate)
        cfg.routes.push_back(std::move(*r));
    });
  }

  void read_peers(const toml::table& root, node_config& cfg) {
    // Host names compare without case, as DNS does; "[::1]" and "::1" are
    // the same host once parsed.
    std::map<std::pair<std::string, uint16_t>, uint32_t> seen;
    each_table(root, "peer", "[[peer]]", [&](const toml::table& tbl) {
      auto p = read_peer(tbl);
      if (!p)
        return;
      auto host = p->address.host;
      std::transform(host.begin(), host.end(), host.begin(),
                     [](unsigned char c) {
                       return static_cast<char>(std::tolower(c));
                     });
      auto [i, added] = seen.emplace(std::make_pair(host, p->address.port),
                                     p->position.line);
      if (!added) {
        problems_.push_back({p->position,
                             "duplicate peer '" + to_string(p->address)
                               + "' (already a [[peer]] at line "
                               + std::to_string(i->second) + ")"});
        return;
      }
      cfg.peers.push_back(std::move(*p));
    });
  }

  void read_allows(const toml::table& root, node_config& cfg) {
    each_table(root, "allow", "[[allow]]", [&](const toml::table& tbl) {
      if (auto rule = read_allow(tbl))
        cfg.allow.push_back(std::move(*rule));
    });
  }

  /// The rules that relate `[tls]` to the rest: `[[allow]]` needs it, and
  /// so does a `listen` beyond loopback unless `insecure` (protected mode).
  void check_transport(const toml::table& root, const node_config& cfg) {
    if (root.get("tls") != nullptr)
      return; // a bad [tls] is reported already
    for (auto& rule : cfg.allow)
      problems_.push_back(
        {rule.position, "[[allow]] needs [tls]: identities come from "
                        "the certificates of TLS peers and clients"});
    if (cfg.listen && !cfg.insecure && !core::is_loopback(cfg.listen->host))
      problems_.push_back(
        {cfg.listen_position,
         "node.listen '" + to_string(*cfg.listen)
           + "' is not a loopback address and there is no [tls]: plain "
             "TCP has no authentication, so anyone who reaches it may call "
             "every route and join the mesh; add [tls], or set [node] "
             "insecure = true to accept that"});
    if (cfg.http && !cfg.insecure
        && !core::is_loopback(cfg.http->listen.host))
      problems_.push_back(
        {cfg.http->listen_position,
         "http.listen '" + to_string(cfg.http->listen)
           + "' is not a loopback address and there is no [tls]: plain "
             "HTTP has no authentication, so anyone who reaches it may call "
             "every route; add [tls], or set [node] insecure = true to "
             "accept that"});
  }

  load_result read(const toml::table& root) {
    node_config cfg;
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0')
      cfg.name = host;
    else
      cfg.name = "switchboard";
    check_keys(root, "the top level",
               {"node", "limits", "route", "mesh", "peer", "tls", "allow",
                "http", "log"});
    a_table(root, "node", [&](const toml::table& t) { read_node(t, cfg); });
    a_table(root, "limits",
            [&](const toml::table& t) { read_limits(t, cfg.limits); });
    read_routes(root, cfg);
    a_table(root, "mesh",
            [&](const toml::table& t) { read_mesh(t, cfg.mesh); });
    read_peers(root, cfg);
    a_table(root, "tls", [&](const toml::table& t) { cfg.tls = read_tls(t); });
    read_allows(root, cfg);
    a_table(root, "http", [&](const toml::table& t) { cfg.http = read_http(t); });
    a_table(root, "log", [&](const toml::table& t) { read_log(t, cfg.log); });
    check_transport(root, cfg);
    load_result result;
    result.problems = std::move(problems_);
    // Report in document order, whatever order the checks ran in.
    std::stable_sort(result.problems.begin(), result.problems.end(),
                     [](const problem& x, const problem& y) {
                       return x.where.line != y.where.line
                                ? x.where.line < y.where.line
                                : x.where.column < y.where.column;
                     });
    if (result.problems.empty())
      result.config = std::move(cfg);
    return result;
  }

private:
  std::string source_;
  /// The directory of the configuration file; unset for text that did not
  /// come from a file.
  std::optional<std::filesystem::path> base_dir_;
  std::vector<problem> problems_;
};

} // namespace

namespace {

/// `p` moved into `text`: toml++ reports an error at the end of the text
/// one column past the last line's newline (`LINE:LEN+2`); such a position
/// becomes the end of that line, so every position names a place that
/// exists (at most one past a line's last byte).
source_position inside(std::string_view text, source_position p) {
  uint32_t line = 1;
  size_t begin = 0;
  while (line < p.line) {
    auto nl = text.find('\n', begin);
    if (nl == std::string_view::npos)
      break;
    begin = nl + 1;
    ++line;
  }
  auto end = text.find('\n', begin);
  auto len = (end == std::string_view::npos ? text.size() : end) - begin;
  if (line < p.line || p.column > len + 1) {
    p.line = line;
    p.column = static_cast<uint32_t>(len + 1);
  }
  return p;
}

} // namespace

load_result parse_config(std::string_view text, const std::string& source) {
  reader rd{source};
  try {
    auto root = toml::parse(text, source);
    return rd.read(root);
  } catch (const toml::parse_error& e) {
    load_result result;
    result.problems.push_back(
      {inside(text, rd.at(e.source())), std::string{e.description()}});
    return result;
  }
}

load_result load_config_file(const std::string& path) {
  auto fail = [&](std::string why) {
    load_result result;
    result.problems.push_back({{path, 0, 0}, "cannot read the file: " + why});
    return result;
  };
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return fail("it is a directory");
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return fail(std::strerror(errno));
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_config(buf.str(), path);
}

} // namespace switchboard::config
