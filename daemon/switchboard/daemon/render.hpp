#pragma once

// What the daemon shows of a node, as text: the JSON of `routes --json`
// (also served by the HTTP front door) and `stats --json`, the tables of
// `stats`, and the Prometheus exposition of `GET /metrics`.

#include <cstdint>
#include <string>
#include <vector>

#include "switchboard/core/peer_stats.hpp"
#include "switchboard/core/route_info.hpp"
#include "switchboard/core/route_metrics.hpp"

namespace switchboard::daemon {

/// `x` as the inside of a JSON string (quotes, backslashes and control
/// characters escaped).
std::string json_escape(const std::string& x);

/// The routes as a JSON array, one object per route (`routes --json`).
std::string routes_json(const std::vector<core::route_info>& xs);

/// The metrics as a JSON array, one object per route (`stats --json`):
/// requests, outcomes by name (only those that occurred), in_flight,
/// restarts, p50/p99 in microseconds (`null` if nothing was timed).
std::string stats_json(const std::vector<core::route_stats>& xs);

/// The metrics as a table for people (`stats`).
std::string stats_table(const std::vector<core::route_stats>& xs);

/// The peers' metrics as a JSON array, one object per peer: name, address,
/// up, connects, and calls, replies and bytes, each as `{"in": N, "out": N}`.
std::string peers_json(const std::vector<core::peer_stats>& xs);

/// `stats --json`: `{"routes": stats_json, "peers": peers_json}`.
std::string node_stats_json(const std::vector<core::route_stats>& routes,
                            const std::vector<core::peer_stats>& peers);

/// The peers' metrics as a table for people (`stats`, after the routes).
std::string peers_table(const std::vector<core::peer_stats>& xs);

/// A peer's name in tables and labels: its node name, or its address
/// before it ever connected.
std::string peer_label(const core::peer_stats& x);

/// Process figures for the `process_*` metrics (read by `read_process`).
struct process_basics {
  uint64_t resident_bytes = 0;
  uint64_t open_fds = 0;
  double start_time_seconds = 0;
};

/// This process's resident memory, open descriptors and start time (from
/// /proc; zeros where unreadable).
process_basics read_process();

/// The Prometheus text format (0.0.4) of a node's metrics:
/// `switchboard_requests_total{route,outcome}`,
/// `switchboard_request_duration_seconds` (histogram, per route),
/// `switchboard_in_flight{route}`, `switchboard_worker_restarts_total{route}`,
/// `switchboard_peer_up{peer}`, `switchboard_peer_connects_total{peer}`,
/// `switchboard_peer_calls_total{peer,direction}`,
/// `switchboard_peer_replies_total{peer,direction}`,
/// `switchboard_peer_bytes_total{peer,direction}` and
/// `process_resident_memory_bytes`, `process_open_fds`,
/// `process_start_time_seconds`.
std::string prometheus(const std::vector<core::route_stats>& routes,
                       const std::vector<core::peer_stats>& peers,
                       const process_basics& process);

} // namespace switchboard::daemon
