#include "switchboard/daemon/notify.hpp"

#include <time.h>

#include <cstdint>
#include <utility>

#ifdef SWITCHBOARD_SD_NOTIFY
#  include <systemd/sd-daemon.h>
#endif

namespace switchboard::daemon {

namespace {

void send(const std::string& state) {
#ifdef SWITCHBOARD_SD_NOTIFY
  // Keeps NOTIFY_SOCKET set (0): the node notifies again on reload and
  // stop. Exec handlers do not see it: their environment is their own.
  static_cast<void>(sd_notify(0, state.c_str()));
#else
  static_cast<void>(state);
#endif
}

uint64_t monotonic_usec() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000u
         + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
}

} // namespace

void notify_ready(const std::string& status) {
  send("READY=1\nSTATUS=" + status);
}

void notify_stopping() {
  send("STOPPING=1\nSTATUS=draining requests in flight");
}

reload_notice::reload_notice(std::string status) : status_(std::move(status)) {
  send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_usec())
       + "\nSTATUS=reloading the configuration");
}

reload_notice::~reload_notice() {
  notify_ready(status_);
}

} // namespace switchboard::daemon
