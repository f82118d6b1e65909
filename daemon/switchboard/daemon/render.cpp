#include "switchboard/daemon/render.hpp"

#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

namespace switchboard::daemon {

namespace {

/// A Prometheus label value: backslash, quote and newline escaped.
std::string label(const std::string& x) {
  std::string out;
  out.reserve(x.size());
  for (auto c : x) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

std::string seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", static_cast<double>(ns) / 1e9);
  return buf;
}

std::string micros(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", static_cast<double>(ns) / 1e3);
  return buf;
}

} // namespace

std::string json_escape(const std::string& x) {
  std::string out;
  for (auto c : x) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x",
                        static_cast<unsigned>(static_cast<unsigned char>(c)));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string routes_json(const std::vector<core::route_info>& xs) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    auto& x = xs[i];
    out << (i == 0 ? "" : ",") << "\n  {\"name\": \"" << json_escape(x.name)
        << "\", \"kind\": \"" << json_escape(x.kind)
        << "\", \"workers\": " << x.workers << ", \"policy\": \""
        << core::to_string(x.policy) << "\", \"in_flight\": " << x.in_flight
        << ", \"completed\": " << x.completed << ", \"failed\": " << x.failed
        << ", \"restarts\": " << x.restarts << ", \"origin\": \""
        << json_escape(x.origin) << "\", \"via\": \"" << json_escape(x.via)
        << "\"}";
  }
  out << (xs.empty() ? "]" : "\n]") << "\n";
  return out.str();
}

std::string stats_json(const std::vector<core::route_stats>& xs) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    auto& x = xs[i];
    out << (i == 0 ? "" : ",") << "\n  {\"name\": \"" << json_escape(x.name)
        << "\", \"requests\": " << x.requests() << ", \"errors\": "
        << x.errors() << ", \"outcomes\": {";
    bool first = true;
    for (size_t o = 0; o < x.outcomes.size(); ++o) {
      if (x.outcomes[o] == 0)
        continue;
      out << (first ? "" : ", ") << "\"" << core::outcome_name(o)
          << "\": " << x.outcomes[o];
      first = false;
    }
    out << "}, \"in_flight\": " << x.in_flight
        << ", \"restarts\": " << x.restarts;
    if (x.timed() == 0)
      out << ", \"p50_us\": null, \"p99_us\": null";
    else
      out << ", \"p50_us\": " << micros(x.quantile_ns(0.5))
          << ", \"p99_us\": " << micros(x.quantile_ns(0.99));
    out << "}";
  }
  out << (xs.empty() ? "]" : "\n]") << "\n";
  return out.str();
}

std::string stats_table(const std::vector<core::route_stats>& xs) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-24s %10s %8s %10s %10s %9s %8s\n",
                "NAME", "REQUESTS", "ERRORS", "P50", "P99", "IN_FLIGHT",
                "RESTARTS");
  out += line;
  for (auto& x : xs) {
    auto timed = x.timed() > 0;
    auto p50 = timed ? micros(x.quantile_ns(0.5)) + "us" : std::string{"-"};
    auto p99 = timed ? micros(x.quantile_ns(0.99)) + "us" : std::string{"-"};
    std::snprintf(line, sizeof(line),
                  "%-24s %10" PRIu64 " %8" PRIu64 " %10s %10s %9" PRId64
                  " %8" PRIu64 "\n",
                  x.name.c_str(), x.requests(), x.errors(), p50.c_str(),
                  p99.c_str(), x.in_flight, x.restarts);
    out += line;
  }
  return out;
}

std::string peer_label(const core::peer_stats& x) {
  return x.name.empty() ? x.address : x.name;
}

std::string peers_json(const std::vector<core::peer_stats>& xs) {
  std::ostringstream out;
  auto pair = [&](const char* key, uint64_t in, uint64_t out_count) {
    out << ", \"" << key << "\": {\"in\": " << in
        << ", \"out\": " << out_count << "}";
  };
  out << "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    auto& x = xs[i];
    out << (i == 0 ? "" : ",") << "\n  {\"name\": \"" << json_escape(x.name)
        << "\", \"address\": \"" << json_escape(x.address)
        << "\", \"up\": " << (x.up ? "true" : "false")
        << ", \"connects\": " << x.connects;
    pair("calls", x.calls_in, x.calls_out);
    pair("replies", x.replies_in, x.replies_out);
    pair("bytes", x.bytes_in, x.bytes_out);
    out << "}";
  }
  out << (xs.empty() ? "]" : "\n]");
  return out.str();
}

std::string node_stats_json(const std::vector<core::route_stats>& routes,
                            const std::vector<core::peer_stats>& peers) {
  auto routes_text = stats_json(routes);
  routes_text.pop_back(); // its final newline
  return "{\"routes\": " + routes_text + ",\n\"peers\": " + peers_json(peers)
         + "}\n";
}

std::string peers_table(const std::vector<core::peer_stats>& xs) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-24s %-4s %8s %10s %10s %12s %12s\n",
                "PEER", "UP", "CONNECTS", "CALLS_OUT", "CALLS_IN",
                "BYTES_OUT", "BYTES_IN");
  out += line;
  for (auto& x : xs) {
    std::snprintf(line, sizeof(line),
                  "%-24s %-4s %8" PRIu64 " %10" PRIu64 " %10" PRIu64
                  " %12" PRIu64 " %12" PRIu64 "\n",
                  peer_label(x).c_str(), x.up ? "yes" : "no", x.connects,
                  x.calls_out, x.calls_in, x.bytes_out, x.bytes_in);
    out += line;
  }
  return out;
}

process_basics read_process() {
  process_basics result;
  {
    std::ifstream statm{"/proc/self/statm"};
    uint64_t size = 0;
    uint64_t resident = 0;
    if (statm >> size >> resident)
      result.resident_bytes
        = resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  }
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator{"/proc/self/fd", ec};
       !ec && it != std::filesystem::directory_iterator{}; it.increment(ec))
    ++result.open_fds;
  // Start time: boot time (/proc/stat btime) + field 22 of /proc/self/stat
  // (clock ticks after boot). The command name (field 2) may hold spaces:
  // count fields after its closing parenthesis.
  uint64_t btime = 0;
  {
    std::ifstream stat{"/proc/stat"};
    std::string key;
    while (stat >> key) {
      if (key == "btime") {
        stat >> btime;
        break;
      }
    }
  }
  std::ifstream self{"/proc/self/stat"};
  std::string all{std::istreambuf_iterator<char>{self}, {}};
  auto close = all.rfind(')');
  if (btime > 0 && close != std::string::npos) {
    std::istringstream rest{all.substr(close + 2)};
    std::string field;
    // Fields 3.. follow; starttime is field 22, the 20th of these.
    for (int i = 3; i <= 22 && rest >> field; ++i)
      if (i == 22)
        result.start_time_seconds
          = static_cast<double>(btime)
            + std::stod(field) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return result;
}

std::string prometheus(const std::vector<core::route_stats>& routes,
                       const std::vector<core::peer_stats>& peers,
                       const process_basics& process) {
  std::string out;
  out.reserve(256 + routes.size() * 2048);
  out += "# HELP switchboard_requests_total Requests answered, by route and "
         "outcome (ok or the error).\n"
         "# TYPE switchboard_requests_total counter\n";
  for (auto& x : routes) {
    auto name = label(x.name);
    for (size_t o = 0; o < x.outcomes.size(); ++o) {
      // `ok` always, so every route has a series; errors once they occur.
      if (o != core::outcome_ok && x.outcomes[o] == 0)
        continue;
      out += "switchboard_requests_total{route=\"" + name + "\",outcome=\""
             + std::string{core::outcome_name(o)}
             + "\"} " + std::to_string(x.outcomes[o]) + "\n";
    }
  }
  out += "# HELP switchboard_request_duration_seconds Time from a call's "
         "send to its reply, of requests a worker answered.\n"
         "# TYPE switchboard_request_duration_seconds histogram\n";
  for (auto& x : routes) {
    auto prefix = "switchboard_request_duration_seconds_bucket{route=\""
                  + label(x.name) + "\",le=\"";
    uint64_t cumulative = 0;
    for (size_t b = 0; b < x.buckets.size(); ++b) {
      cumulative += x.buckets[b];
      auto le = b < core::latency_bounds_ns.size()
                  ? seconds(core::latency_bounds_ns[b])
                  : std::string{"+Inf"};
      out += prefix + le + "\"} " + std::to_string(cumulative) + "\n";
    }
    char sum[64];
    std::snprintf(sum, sizeof(sum), "%.9f",
                  static_cast<double>(x.latency_sum_ns) / 1e9);
    out += "switchboard_request_duration_seconds_sum{route=\"" + label(x.name)
           + "\"} " + sum + "\n";
    out += "switchboard_request_duration_seconds_count{route=\""
           + label(x.name) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += "# HELP switchboard_in_flight Requests admitted to a route and not "
         "answered yet.\n"
         "# TYPE switchboard_in_flight gauge\n";
  for (auto& x : routes)
    out += "switchboard_in_flight{route=\"" + label(x.name) + "\"} "
           + std::to_string(x.in_flight) + "\n";
  out += "# HELP switchboard_worker_restarts_total Workers restarted after "
         "they died.\n"
         "# TYPE switchboard_worker_restarts_total counter\n";
  for (auto& x : routes)
    out += "switchboard_worker_restarts_total{route=\"" + label(x.name)
           + "\"} " + std::to_string(x.restarts) + "\n";
  out += "# HELP switchboard_peer_up Whether a configured or connected peer "
         "is up (1) or down (0).\n"
         "# TYPE switchboard_peer_up gauge\n";
  for (auto& p : peers)
    out += "switchboard_peer_up{peer=\"" + label(peer_label(p)) + "\"} "
           + (p.up ? "1" : "0") + "\n";
  out += "# HELP switchboard_peer_connects_total Times a link to a peer came "
         "up.\n"
         "# TYPE switchboard_peer_connects_total counter\n";
  for (auto& p : peers)
    out += "switchboard_peer_connects_total{peer=\"" + label(peer_label(p))
           + "\"} " + std::to_string(p.connects) + "\n";
  // One counter per direction: `in` from the peer, `out` to it.
  auto each_way = [&](const char* metric, const char* help, auto in,
                      auto out_count) {
    out += std::string{"# HELP "} + metric + " " + help + "\n# TYPE " + metric
           + " counter\n";
    for (auto& p : peers) {
      auto prefix = std::string{metric} + "{peer=\"" + label(peer_label(p))
                    + "\",direction=\"";
      out += prefix + "in\"} " + std::to_string(in(p)) + "\n";
      out += prefix + "out\"} " + std::to_string(out_count(p)) + "\n";
    }
  };
  each_way(
    "switchboard_peer_calls_total",
    "Requests received from (in) and sent to (out) a peer over its links.",
    [](auto& p) { return p.calls_in; }, [](auto& p) { return p.calls_out; });
  each_way(
    "switchboard_peer_replies_total",
    "Replies received from (in) and sent to (out) a peer over its links.",
    [](auto& p) { return p.replies_in; },
    [](auto& p) { return p.replies_out; });
  each_way("switchboard_peer_bytes_total",
           "BASP bytes read from (in) and written to (out) a peer's "
           "connections, before TLS.",
           [](auto& p) { return p.bytes_in; },
           [](auto& p) { return p.bytes_out; });
  char buf[64];
  out += "# HELP process_resident_memory_bytes Resident memory size in "
         "bytes.\n# TYPE process_resident_memory_bytes gauge\n";
  out += "process_resident_memory_bytes " + std::to_string(process.resident_bytes)
         + "\n";
  out += "# HELP process_open_fds Number of open file descriptors.\n"
         "# TYPE process_open_fds gauge\n";
  out += "process_open_fds " + std::to_string(process.open_fds) + "\n";
  std::snprintf(buf, sizeof(buf), "%.2f", process.start_time_seconds);
  out += "# HELP process_start_time_seconds Start time of the process since "
         "the Unix epoch in seconds.\n"
         "# TYPE process_start_time_seconds gauge\n";
  out += std::string{"process_start_time_seconds "} + buf + "\n";
  return out;
}

} // namespace switchboard::daemon
