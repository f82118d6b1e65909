#pragma once

#include <string>

namespace switchboard::daemon {

/// Tells the service manager the node serves: READY=1 with `status` as
/// STATUS= (e.g. "listening on 127.0.0.1:7700"). Like every function here,
/// it does nothing when the process has no NOTIFY_SOCKET (not started by
/// systemd as `Type=notify`) or was built without libsystemd, and never
/// fails the node: a lost notification is not an error.
void notify_ready(const std::string& status);

/// Tells the service manager the node drains and then exits: STOPPING=1.
void notify_stopping();

/// Tells the service manager a reload runs for as long as it lives:
/// RELOADING=1 (with MONOTONIC_USEC=) when made, READY=1 with `status`
/// when destroyed, whether the reload was applied or rejected.
class reload_notice {
public:
  explicit reload_notice(std::string status);

  reload_notice(const reload_notice&) = delete;
  reload_notice& operator=(const reload_notice&) = delete;

  ~reload_notice();

private:
  std::string status_;
};

} // namespace switchboard::daemon
