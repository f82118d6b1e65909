#pragma once

// The real `switchboard` binary in black-box tests: scratch directories for
// config files, and running nodes. Every wait is bounded; nothing sleeps.

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "process.hpp"
#include "scratch.hpp"

namespace switchboard::test {

using namespace std::chrono_literals;

const std::string bin = SWITCHBOARD_BIN;

/// A running `switchboard serve`, stopped with SIGTERM by `stop`.
struct daemon_process {
  std::unique_ptr<process> proc;
  std::string address;
  /// The node's readiness line on stdout, as it came.
  std::string ready_line;

  /// Starts a node on `config` with `env` added to its environment.
  explicit daemon_process(const std::string& config,
                          const std::vector<std::string>& env = {}) {
    proc = std::make_unique<process>(
      std::vector<std::string>{bin, "serve", "--config", config}, env);
    auto line = proc->read_line(20s);
    ready_line = line;
    const std::string prefix = "listening on ";
    // In `[log] format = "json"` the line is a JSON object whose msg is
    // the text line: take the address from its msg.
    const std::string json_prefix = "\"msg\":\"listening on ";
    if (auto at = line.find(json_prefix);
        line.rfind("{", 0) == 0 && at != std::string::npos) {
      line = line.substr(at + json_prefix.size() - prefix.size());
      line = line.substr(0, line.find('"'));
    }
    if (line.rfind(prefix, 0) != 0) {
      // Say what the node printed instead (a needle that never appears
      // reads stderr for a moment).
      proc->wait_for_err("\n\n\n", 500ms);
      FAIL("no 'listening on' line within 20 s; stdout: '"
           << line << "'; stderr: " << proc->err_so_far());
    }
    address = line.substr(prefix.size());
    address = address.substr(0, address.find(' ')); // drop " (tls)"
  }

  /// The port the node listens on.
  std::string port() const {
    return address.substr(address.rfind(':') + 1);
  }

  process_result call(std::vector<std::string> args,
                      const std::string& input = {}) {
    std::vector<std::string> full{bin, "call", "--connect", address};
    full.insert(full.end(), args.begin(), args.end());
    return run(full, input);
  }

  process_result stop() {
    proc->signal(SIGTERM);
    return proc->wait(30s);
  }
};

} // namespace switchboard::test
