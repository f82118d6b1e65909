// Fuzzes the config reader end to end: TOML text -> `config::parse_config`
// -> a node config or problems.
//
// Invariants: the result is a config or at least one problem, never both
// and never neither; every problem names the source, has a message, and
// stands at a line and column inside the text (1-based; one past the end
// of a line is the end of the line), in document order. A config that
// comes out keeps every documented bound: valid and unique route names,
// at most `bounds::max_routes` routes, workers and in-flight limits in
// range, durations at most `bounds::max_duration`, the mesh's timing and
// batching in range, peers at distinct addresses with a port,
// `[[allow]]` only with `[tls]`, and a `[log]` level and format that are
// among the documented ones.

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "switchboard/config/node_config.hpp"
#include "switchboard/core/route_name.hpp"

using namespace switchboard;
using namespace switchboard::config;

namespace {

const std::string source = "fuzz.toml";

/// Whether `p` stands inside `text`: its line exists and its column is at
/// most one past the line's last byte (the column of its end).
bool inside(const std::vector<std::string_view>& lines,
            const source_position& p) {
  if (p.line < 1 || p.line > lines.size() || p.column < 1)
    return false;
  return p.column <= lines[p.line - 1].size() + 1;
}

void check_config(const node_config& cfg) {
  FUZZ_CHECK(cfg.routes.size() <= bounds::max_routes);
  std::set<std::string> names;
  for (auto& r : cfg.routes) {
    FUZZ_CHECK(core::route_name_problem(r.name).empty());
    FUZZ_CHECK(names.insert(r.name).second);
    FUZZ_CHECK(r.workers >= 1
               && r.workers <= static_cast<size_t>(bounds::max_workers));
    if (r.timeout)
      FUZZ_CHECK(*r.timeout <= bounds::max_duration);
    if (r.max_in_flight)
      FUZZ_CHECK(*r.max_in_flight >= 1
                 && *r.max_in_flight <= bounds::max_in_flight);
    switch (r.kind) {
    case handler_kind::builtin:
      FUZZ_CHECK(!r.builtin.empty());
      break;
    case handler_kind::exec:
      FUZZ_CHECK(!r.argv.empty());
      break;
    case handler_kind::plugin:
      FUZZ_CHECK(!r.plugin.empty());
      break;
    }
  }
  FUZZ_CHECK(cfg.drain <= bounds::max_duration);
  FUZZ_CHECK(cfg.limits.timeout <= bounds::max_duration);
  FUZZ_CHECK(cfg.limits.max_in_flight >= 1
             && cfg.limits.max_in_flight <= bounds::max_in_flight);
  auto& m = cfg.mesh;
  FUZZ_CHECK(m.heartbeat >= bounds::min_heartbeat
             && m.heartbeat <= bounds::max_duration);
  FUZZ_CHECK(m.peer_timeout >= bounds::min_peer_timeout
             && m.peer_timeout >= 2 * m.heartbeat
             && m.peer_timeout <= bounds::max_duration);
  FUZZ_CHECK(m.retry_max.count() > 0 && m.retry_max <= bounds::max_duration);
  FUZZ_CHECK(m.max_batch >= 1 && m.max_batch <= 65536);
  FUZZ_CHECK(m.max_batch_bytes >= bounds::min_batch_bytes
             && m.max_batch_bytes <= bounds::max_batch_bytes);
  FUZZ_CHECK(m.link_max_in_flight >= 1
             && m.link_max_in_flight <= bounds::max_link_in_flight);
  FUZZ_CHECK(m.max_advert_routes >= 1
             && m.max_advert_routes
                  <= static_cast<size_t>(bounds::max_advert_routes));
  std::set<std::string> addresses;
  for (auto& p : cfg.peers) {
    FUZZ_CHECK(p.address.port != 0);
    FUZZ_CHECK(!p.address.host.empty());
    FUZZ_CHECK(addresses.insert(to_string(p.address)).second);
  }
  if (!cfg.allow.empty())
    FUZZ_CHECK(cfg.tls.has_value());
  FUZZ_CHECK(parse_log_level(to_string(cfg.log.level)) == cfg.log.level);
  FUZZ_CHECK(cfg.log.format == log_format::text
             || cfg.log.format == log_format::json);
  if (cfg.tls) {
    FUZZ_CHECK(!cfg.tls->certificate.empty());
    FUZZ_CHECK(!cfg.tls->key.empty());
    FUZZ_CHECK(!cfg.tls->ca.empty());
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text{reinterpret_cast<const char*>(data), size};
  auto result = parse_config(text, source);
  FUZZ_CHECK(result.config.has_value() != !result.problems.empty());
  auto lines = fuzz::split(text, '\n');
  const source_position* last = nullptr;
  for (auto& x : result.problems) {
    FUZZ_CHECK(x.where.file == source);
    FUZZ_CHECK(!x.message.empty());
    if (!inside(lines, x.where)) {
      std::fprintf(stderr, "problem outside the text: %s\n",
                   to_string(x).c_str());
      FUZZ_CHECK(inside(lines, x.where));
    }
    if (last != nullptr)
      FUZZ_CHECK(
        last->line < x.where.line
        || (last->line == x.where.line && last->column <= x.where.column));
    last = &x.where;
    auto rendered = to_string(x);
    auto prefix = source + ":" + std::to_string(x.where.line) + ":"
                  + std::to_string(x.where.column) + ": ";
    FUZZ_CHECK(rendered.compare(0, prefix.size(), prefix) == 0);
  }
  if (result.config)
    check_config(*result.config);
  return 0;
}
