#include "switchboard/daemon/logger.hpp"

#include <time.h>

#include <map>
#include <mutex>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>

#include "switchboard/daemon/refusal_limiter.hpp"
#include "switchboard/daemon/render.hpp"

namespace switchboard::daemon {

namespace {

using config::log_format;
using config::log_level;

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

/// `x` with its control characters escaped as in JSON (a newline cannot
/// split an event); everything else as it stands.
std::string one_line(std::string_view x) {
  std::string result;
  result.reserve(x.size());
  for (auto c : x) {
    if (is_control(c))
      result += json_escape(std::string(1, c));
    else
      result += c;
  }
  return result;
}

bool needs_quotes(const std::string& x) {
  if (x.empty())
    return true;
  for (auto c : x)
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || is_control(c))
      return true;
  return false;
}

/// `2026-12-01T20:41:07.123Z`.
std::string iso8601(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  auto ms = duration_cast<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<time_t>(ms / 1000);
  auto frac = static_cast<int>(ms % 1000);
  if (frac < 0) {
    frac += 1000;
    --secs;
  }
  tm parts{};
  gmtime_r(&secs, &parts);
  char buf[40];
  auto n
    = std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                    parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                    parts.tm_hour, parts.tm_min, parts.tm_sec, frac);
  return std::string(buf, static_cast<size_t>(n));
}

/// What follows the time and the level: `msg k=v ...` in text,
/// `"msg":"...","k":v` in JSON.
std::string payload(log_format format, std::string_view msg,
                    const log_fields& fields) {
  std::string result;
  if (format == log_format::json) {
    result += "\"msg\":\"" + json_escape(std::string{msg}) + '"';
    for (auto& f : fields) {
      result += ",\"" + json_escape(f.key) + "\":";
      if (f.is_string)
        result += '"' + json_escape(f.value) + '"';
      else
        result += f.value;
    }
    return result;
  }
  result = one_line(msg);
  for (auto& f : fields) {
    result += ' ' + f.key + '=';
    if (f.is_string && needs_quotes(f.value))
      result += '"' + json_escape(f.value) + '"';
    else
      result += f.value;
  }
  return result;
}

/// Puts the time and the level around a payload.
std::string wrap(log_format format, std::chrono::system_clock::time_point time,
                 log_level level, std::string_view body) {
  auto name = std::string{config::to_string(level)};
  if (format == log_format::json)
    return "{\"ts\":\"" + iso8601(time) + "\",\"level\":\"" + name + "\","
           + std::string{body} + '}';
  name.resize(5, ' ');
  return iso8601(time) + ' ' + name + ' ' + std::string{body};
}

spdlog::level::level_enum spdlog_level(log_level x) {
  switch (x) {
  case log_level::trace:
    return spdlog::level::trace;
  case log_level::debug:
    return spdlog::level::debug;
  case log_level::info:
    return spdlog::level::info;
  case log_level::warn:
    return spdlog::level::warn;
  case log_level::error:
    return spdlog::level::err;
  case log_level::off:
    break;
  }
  return spdlog::level::off;
}

log_level our_level(spdlog::level::level_enum x) {
  switch (x) {
  case spdlog::level::trace:
    return log_level::trace;
  case spdlog::level::debug:
    return log_level::debug;
  case spdlog::level::info:
    return log_level::info;
  case spdlog::level::warn:
    return log_level::warn;
  default:
    return log_level::error;
  }
}

/// spdlog's formatter for our lines: the message spdlog carries is the
/// payload already rendered in the format; this adds time and level (or,
/// for a text announcement, nothing).
class line_formatter final : public spdlog::formatter {
public:
  line_formatter(log_format format, bool bare) : format_(format), bare_(bare) {
    // nop
  }

  void format(const spdlog::details::log_msg& msg,
              spdlog::memory_buf_t& dest) override {
    std::string_view body{msg.payload.data(), msg.payload.size()};
    auto line = bare_ ? std::string{body}
                      : wrap(format_, msg.time, our_level(msg.level), body);
    line += '\n';
    dest.append(line.data(), line.data() + line.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<line_formatter>(format_, bare_);
  }

private:
  log_format format_;
  bool bare_;
};

std::shared_ptr<spdlog::logger> make_logger(const char* name,
                                            spdlog::sink_ptr sink,
                                            log_format format, bool bare) {
  sink->set_formatter(std::make_unique<line_formatter>(format, bare));
  // Not registered with spdlog's global registry: a plugin or embedder
  // using spdlog itself keeps its own names and settings.
  auto result = std::make_shared<spdlog::logger>(name, std::move(sink));
  result->flush_on(spdlog::level::trace);
  return result;
}

} // namespace

std::string format_line(log_format format,
                        std::chrono::system_clock::time_point time,
                        log_level level, std::string_view msg,
                        const log_fields& fields) {
  return wrap(format, time, level, payload(format, msg, fields));
}

struct logger::impl {
  log_format format;
  std::shared_ptr<spdlog::logger> err;
  std::shared_ptr<spdlog::logger> out;
  std::mutex mtx;
  std::map<std::string, refusal_limiter> limiters;

  /// Logs the suppressed refusals of `source` (caller holds `mtx`).
  void report(const std::string& source, refusal_limiter& lim,
              refusal_limiter::clock::time_point now, bool all) {
    if (auto n = lim.take_suppressed(now, all); n > 0) {
      auto secs = std::chrono::duration_cast<std::chrono::seconds>(lim.window())
                    .count();
      err->log(spdlog::level::warn,
               payload(format, "refusals suppressed",
                       {{"source", source},
                        {"count", n},
                        {"window", std::to_string(secs) + "s"}}));
    }
  }
};

logger::logger(config::log_config cfg) : impl_(std::make_unique<impl>()) {
  impl_->format = cfg.format;
  impl_->err = make_logger("switchboard",
                           std::make_shared<spdlog::sinks::stderr_sink_mt>(),
                           cfg.format, false);
  impl_->out = make_logger("switchboard-ready",
                           std::make_shared<spdlog::sinks::stdout_sink_mt>(),
                           cfg.format, cfg.format == log_format::text);
  set_level(cfg.level);
  impl_->out->set_level(spdlog::level::info);
}

logger::~logger() = default;

void logger::set_level(log_level level) {
  impl_->err->set_level(spdlog_level(level));
}

log_format logger::format() const {
  return impl_->format;
}

bool logger::enabled(log_level level) const {
  return level != log_level::off && impl_->err->should_log(spdlog_level(level));
}

void logger::write(log_level level, std::string_view msg,
                   const log_fields& fields) {
  if (!enabled(level))
    return;
  impl_->err->log(spdlog_level(level), payload(impl_->format, msg, fields));
}

void logger::announce(std::string_view msg, const log_fields& fields) {
  if (impl_->format == log_format::text)
    impl_->out->log(spdlog::level::info, one_line(msg));
  else
    impl_->out->log(spdlog::level::info, payload(impl_->format, msg, fields));
}

void logger::refused(const std::string& source, std::string_view msg,
                     const log_fields& fields) {
  auto now = refusal_limiter::clock::now();
  std::lock_guard<std::mutex> guard{impl_->mtx};
  auto& lim = impl_->limiters[source];
  impl_->report(source, lim, now, false);
  if (lim.admit(now))
    write(log_level::warn, msg, fields);
}

void logger::report_suppressed(bool all) {
  auto now = refusal_limiter::clock::now();
  std::lock_guard<std::mutex> guard{impl_->mtx};
  for (auto& [source, lim] : impl_->limiters)
    impl_->report(source, lim, now, all);
}

} // namespace switchboard::daemon
