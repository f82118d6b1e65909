#pragma once

// The daemon's log: one line per event on standard error, as `key=value`
// text or as one JSON object (`[log]`, docs/operations.md). Written through
// spdlog; the library never sees it (it reports through plain callbacks,
// e.g. `mesh_options::log`, which the daemon points here).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "switchboard/config/node_config.hpp"

namespace switchboard::daemon {

/// One `key=value` of a log line. Strings are quoted in text when they hold
/// a space, a quote, `=`, a backslash or a control character, and are JSON
/// strings in JSON; numbers and booleans are written bare in both formats.
struct log_field {
  log_field(std::string k, std::string v)
    : key(std::move(k)), value(std::move(v)), is_string(true) {
    // nop
  }

  log_field(std::string k, const char* v)
    : log_field(std::move(k), std::string{v}) {
    // nop
  }

  log_field(std::string k, bool v)
    : key(std::move(k)), value(v ? "true" : "false"), is_string(false) {
    // nop
  }

  template <class T, class = std::enable_if_t<
                       std::is_integral_v<T> && !std::is_same_v<T, bool>>>
  log_field(std::string k, T v)
    : key(std::move(k)), value(std::to_string(v)), is_string(false) {
    // nop
  }

  std::string key;
  /// The value as written: the string itself, or the number's digits.
  std::string value;
  bool is_string;
};

using log_fields = std::vector<log_field>;

/// A whole log line without its newline: in text
/// `2026-12-01T20:41:07.123Z info  route added route=echo workers=4`, in
/// JSON `{"ts":"…","level":"info","msg":"route added","route":"echo",
/// "workers":4}`. Control characters in `msg` are escaped in both formats,
/// so an event is always one line.
std::string format_line(config::log_format format,
                        std::chrono::system_clock::time_point time,
                        config::log_level level, std::string_view msg,
                        const log_fields& fields);

/// Writes log lines to standard error at or above a level, and readiness
/// announcements to standard output. Thread-safe: every method may be
/// called from any thread (each line is written whole, then flushed).
///
/// Does not rate-limit by itself except through `refused`; does not write
/// to files (systemd's journal or the shell takes standard error).
class logger {
public:
  explicit logger(config::log_config cfg = {});

  ~logger();

  logger(const logger&) = delete;
  logger& operator=(const logger&) = delete;

  /// Changes the least severe level written (a reload may).
  void set_level(config::log_level level);

  config::log_format format() const;

  /// Whether a line at `level` would be written.
  bool enabled(config::log_level level) const;

  /// Writes one line at `level` (nothing below the configured level).
  void write(config::log_level level, std::string_view msg,
             const log_fields& fields = {});

  void debug(std::string_view msg, const log_fields& fields = {}) {
    write(config::log_level::debug, msg, fields);
  }

  void info(std::string_view msg, const log_fields& fields = {}) {
    write(config::log_level::info, msg, fields);
  }

  void warn(std::string_view msg, const log_fields& fields = {}) {
    write(config::log_level::warn, msg, fields);
  }

  void error(std::string_view msg, const log_fields& fields = {}) {
    write(config::log_level::error, msg, fields);
  }

  /// Writes a readiness line on standard output, whatever the level: in
  /// text exactly `msg` (`listening on 127.0.0.1:7700`, as scripts read
  /// it), in JSON a whole line at level info with `fields`.
  void announce(std::string_view msg, const log_fields& fields = {});

  /// Logs a refusal from `source` ("front door", "transport", "http") at
  /// level warn, rate-limited per source (see `refusal_limiter`): lines
  /// beyond the limit are counted and reported as one "refusals
  /// suppressed" line once their window has ended.
  void refused(const std::string& source, std::string_view msg,
               const log_fields& fields = {});

  /// Reports the refusals suppressed in windows that have ended; the
  /// daemon calls it about once a second. `all`: also those of windows
  /// still open (at shutdown).
  void report_suppressed(bool all = false);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace switchboard::daemon
