#pragma once

// The process's resident memory, from /proc/<pid>/status, for tests and the
// soak that bound memory growth.

#include <sys/types.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>

namespace switchboard::test {

/// A field of /proc/<pid>/status in KiB (`VmRSS`, `VmHWM`), or 0 if the
/// process or the field does not exist. `pid` 0 means this process.
inline uint64_t status_kib(const std::string& field, pid_t pid = 0) {
  std::ifstream in{pid == 0 ? std::string{"/proc/self/status"}
                            : "/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream fields{line.substr(field.size() + 1)};
      uint64_t kib = 0;
      fields >> kib;
      return kib;
    }
  return 0;
}

/// Resident memory now, in KiB.
inline uint64_t rss_kib(pid_t pid = 0) {
  return status_kib("VmRSS", pid);
}

/// The most resident memory the process had since it started or since the
/// last `reset_peak_rss`, in KiB.
inline uint64_t peak_rss_kib(pid_t pid = 0) {
  return status_kib("VmHWM", pid);
}

/// Starts a new peak for `peak_rss_kib` of this process (Linux's
/// /proc/self/clear_refs, value 5).
inline void reset_peak_rss() {
  std::ofstream{"/proc/self/clear_refs"} << "5";
}

} // namespace switchboard::test
