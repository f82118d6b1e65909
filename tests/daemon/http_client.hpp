#pragma once

// Talking to a node's HTTP front door (`[http]`) in black-box tests: the
// node with its HTTP address, curl for single requests, and reading
// /metrics. Every wait is bounded; nothing sleeps.

#include <chrono>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "daemon_process.hpp"

namespace switchboard::test {

struct http_reply {
  int status = 0;
  std::string headers;
  std::string body;
  int curl_exit = 0;
};

/// A node with `[http]`: its CAF address, then its HTTP address.
struct http_node {
  daemon_process d;
  std::string http; // HOST:PORT

  explicit http_node(const std::string& config) : d{config} {
    auto line = d.proc->read_line(20s);
    const std::string prefix = "http listening on ";
    REQUIRE(line.rfind(prefix, 0) == 0);
    http = line.substr(prefix.size());
    http = http.substr(0, http.find(' '));
  }

  std::string port() const {
    return http.substr(http.rfind(':') + 1);
  }
};

/// curl ARGS URL: the status, headers and body of the last response.
inline http_reply curl(std::vector<std::string> args, const std::string& url,
                       const std::string& input = {}) {
  std::vector<std::string> full{"/usr/bin/curl", "-sS", "-i", "-H", "Expect:",
                                "--max-time", "20"};
  full.insert(full.end(), args.begin(), args.end());
  full.push_back(url);
  auto res = run(full, input);
  http_reply out;
  out.curl_exit = res.exit_code;
  auto end = res.out.find("\r\n\r\n");
  if (end == std::string::npos)
    return out;
  out.headers = res.out.substr(0, end);
  out.body = res.out.substr(end + 4);
  auto sp = out.headers.find(' ');
  if (sp != std::string::npos)
    out.status = std::stoi(out.headers.substr(sp + 1, 3));
  return out;
}

inline http_reply post(const http_node& n, const std::string& route,
                       const std::string& body,
                       std::vector<std::string> extra = {}) {
  extra.insert(extra.end(), {"--data-binary", "@-"});
  return curl(extra, "http://" + n.http + "/v1/call/" + route, body);
}

inline http_reply get(const http_node& n, const std::string& path) {
  return curl({}, "http://" + n.http + path);
}

/// The value of the sample `name` in a Prometheus text, or -1.
inline double sample(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

/// Polls /metrics until `name` has `value` (bounded).
inline bool metric_reaches(const http_node& n, const std::string& name,
                           double value) {
  auto until = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < until)
    if (sample(get(n, "/metrics").body, name) == value)
      return true;
  return false;
}

} // namespace switchboard::test
