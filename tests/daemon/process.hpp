#pragma once

// Runs the real `switchboard` binary for black-box tests. Every wait is
// bounded; nothing sleeps.

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <string_view>
#include <vector>

extern char** environ;

namespace switchboard::test {

struct process_result {
  int exit_code = -1;
  std::string out;
  std::string err;
};

/// A child process with its stdin, stdout and stderr piped. It inherits
/// this process's environment plus `env` ("NAME=value", replacing a
/// variable of that name).
class process {
public:
  explicit process(std::vector<std::string> args,
                   const std::vector<std::string>& env = {}) {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0
        || pipe2(err, O_CLOEXEC) != 0)
      return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (auto e = environ; *e != nullptr; ++e) {
      std::string_view x{*e};
      auto replaced = [&](const std::string& y) {
        return x.substr(0, x.find('=') + 1) == y.substr(0, y.find('=') + 1);
      };
      if (std::none_of(env.begin(), env.end(), replaced))
        envp.push_back(*e);
    }
    for (auto& e : env)
      envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    if (posix_spawn(&pid_, argv[0], &fa, nullptr, argv.data(), envp.data())
        != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    ::close(err[1]);
    in_ = in[1];
    out_ = out[0];
    err_ = err[0];
  }

  ~process() {
    if (pid_ > 0 && !reaped_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    for (int fd : {in_, out_, err_})
      if (fd >= 0)
        ::close(fd);
  }

  pid_t pid() const {
    return pid_;
  }

  void write_stdin(const std::string& x) {
    size_t done = 0;
    while (done < x.size()) {
      auto k = ::write(in_, x.data() + done, x.size() - done);
      if (k <= 0)
        break;
      done += static_cast<size_t>(k);
    }
  }

  void close_stdin() {
    if (in_ >= 0)
      ::close(in_);
    in_ = -1;
  }

  /// Reads stdout until a full line arrives or `limit` passes.
  std::string read_line(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto nl = out_buf_.find('\n');
      if (nl != std::string::npos) {
        auto line = out_buf_.substr(0, nl);
        out_buf_.erase(0, nl + 1);
        return line;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0 || !pump(out_, out_buf_, static_cast<int>(left)))
        return {};
    }
  }

  /// Reads stderr until `needle` appears after everything an earlier call
  /// matched, or `limit` passes. Returns whether it appeared.
  bool wait_for_err(const std::string& needle,
                    std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      auto at = err_buf_.find(needle, err_seen_);
      if (at != std::string::npos) {
        err_seen_ = at + needle.size();
        return true;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0 || !pump(err_, err_buf_, static_cast<int>(left)))
        return false;
    }
  }

  /// Everything read from stderr so far (by `wait_for_err`).
  const std::string& err_so_far() const {
    return err_buf_;
  }

  void signal(int sig) {
    ::kill(pid_, sig);
  }

  /// Waits (bounded) for the exit; collects the rest of the output.
  process_result wait(std::chrono::milliseconds limit) {
    close_stdin();
    process_result result;
    auto deadline = std::chrono::steady_clock::now() + limit;
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left <= 0)
        return result; // exit_code stays -1: did not finish in time
      pollfd fds[2] = {{out_open ? out_ : -1, POLLIN, 0},
                       {err_open ? err_ : -1, POLLIN, 0}};
      if (::poll(fds, 2, static_cast<int>(left)) <= 0)
        continue;
      char buf[4096];
      if (fds[0].revents != 0) {
        auto k = ::read(out_, buf, sizeof(buf));
        if (k > 0)
          out_buf_.append(buf, static_cast<size_t>(k));
        else
          out_open = false;
      }
      if (fds[1].revents != 0) {
        auto k = ::read(err_, buf, sizeof(buf));
        if (k > 0)
          err_buf_.append(buf, static_cast<size_t>(k));
        else
          err_open = false;
      }
    }
    int status = 0;
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      pollfd pfd{pidfd, POLLIN, 0};
      auto ready = ::poll(&pfd, 1, static_cast<int>(std::max<long>(left, 0)));
      ::close(pidfd);
      if (ready != 1)
        return result;
    }
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
    result.out = out_buf_;
    result.err = err_buf_;
    return result;
  }

private:
  static bool pump(int fd, std::string& buf, int timeout_ms) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, timeout_ms) <= 0)
      return false;
    char tmp[4096];
    auto k = ::read(fd, tmp, sizeof(tmp));
    if (k <= 0)
      return false;
    buf.append(tmp, static_cast<size_t>(k));
    return true;
  }

  pid_t pid_ = -1;
  int in_ = -1, out_ = -1, err_ = -1;
  bool reaped_ = false;
  std::string out_buf_, err_buf_;
  size_t err_seen_ = 0;
};

/// Runs `args` to completion with `input` on stdin (bounded).
inline process_result run(std::vector<std::string> args,
                          const std::string& input = {},
                          std::chrono::milliseconds limit
                          = std::chrono::seconds{30}) {
  process p{std::move(args)};
  p.write_stdin(input);
  return p.wait(limit);
}

} // namespace switchboard::test
