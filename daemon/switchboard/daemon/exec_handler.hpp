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
/// - exit status 0: the reply is stdout as it stands when the child exits
///   (what its pipe holds then; a background grandchild that keeps stdout
///   open does not delay the reply);
/// - non-zero exit or death by signal: `handler_failed` with the tail of
///   stderr;
/// - deadline passed: the child is killed (SIGKILL) and reaped, the caller
///   gets `timeout`;
/// - stdout larger than `max_payload`: the child is killed, `handler_failed`;
/// - payload larger than `max_payload`: `bad_request`, nothing runs;
/// - the program cannot be started: `handler_failed` saying why.
///
/// Each worker runs one child at a time, so a route's `workers` bounds the
/// children running at once; later requests wait in the worker's queue in
/// arrival order (within the route's `max_in_flight`). A request whose
/// deadline passes while it waits gets `timeout` and never starts a child.
///
/// Each child is the leader of a process group of its own; when it exits,
/// times out or is killed, the whole group is killed (SIGKILL), so no
/// descendant outlives the call (one that leaves the group, e.g. with
/// `setsid`, is beyond reach).
///
/// A worker's children are run from a thread of its own (existing while
/// there is work) that waits on the child's pipes and exit (poll on a
/// pidfd), so CAF's scheduler threads never wait on a child; the result
/// returns to the worker as a message. No zombie is left: every child is
/// reaped, and a worker that stops kills and reaps the child it still
/// has.
handler exec_handler(exec_spec spec);

} // namespace switchboard::daemon
