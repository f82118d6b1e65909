#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "switchboard/handler.hpp"

namespace switchboard::daemon {

/// What an exec route runs.
struct exec_spec {
  /// The program and its arguments; run directly, never through a shell.
  std::vector<std::string> argv;
  /// The child's whole environment (empty: an empty environment).
  std::map<std::string, std::string> env;
  /// Largest request payload accepted and largest reply produced.
  uint64_t max_payload = 1024 * 1024;
};

/// A route handler that runs a program per request: the payload
/// (`std::string`, any bytes) goes to the child's stdin, its stdout is the
/// reply.
///
/// - exit status 0: the reply is stdout;
/// - non-zero exit or death by signal: `handler_failed` with the tail of
///   stderr;
/// - deadline passed: the child is killed (SIGKILL) and reaped, the caller
///   gets `timeout`;
/// - stdout larger than `max_payload`: the child is killed, `handler_failed`;
/// - payload larger than `max_payload`: `bad_request`, nothing runs;
/// - the program cannot be started: `handler_failed` saying why.
///
/// Each request runs on a thread of its own that waits on the child's pipes
/// and exit (poll on a pidfd), so CAF's scheduler threads never wait on a
/// child; the result returns to the worker as a message. No zombie is left:
/// every child is reaped, and a worker that stops kills and reaps the
/// children it still has.
handler exec_handler(exec_spec spec);

} // namespace switchboard::daemon
