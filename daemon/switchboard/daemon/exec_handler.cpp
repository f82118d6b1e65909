#include "switchboard/daemon/exec_handler.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <thread>

#include <caf/event_based_actor.hpp>
#include <caf/make_message.hpp>

namespace switchboard::daemon {

namespace {

using steady = std::chrono::steady_clock;

/// Tail of stderr kept for error messages.
constexpr size_t stderr_tail = 512;

/// Closes a file descriptor on scope exit.
struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
  void reset() {
    if (fd >= 0)
      ::close(fd);
    fd = -1;
  }
};

/// The outcome of one run.
struct run_result {
  enum kind_t { ok, failed, timed_out, too_large } kind = ok;
  std::string out;
  std::string message;
};

/// Children still running, so a stopping worker can kill them.
class child_set {
public:
  void add(pid_t pid) {
    std::lock_guard<std::mutex> guard{mtx_};
    pids_.push_back(pid);
  }

  void remove(pid_t pid) {
    std::lock_guard<std::mutex> guard{mtx_};
    pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
  }

  void kill_all() {
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto pid : pids_)
      ::kill(pid, SIGKILL);
  }

private:
  std::mutex mtx_;
  std::vector<pid_t> pids_;
};

std::string tail_of(const std::string& x) {
  if (x.size() <= stderr_tail)
    return x;
  return "..." + x.substr(x.size() - stderr_tail);
}

/// Runs one child to completion, its deadline, or its output limit.
run_result run(const exec_spec& spec, const std::string& input,
               steady::time_point deadline, child_set& children) {
  run_result result;
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0) {
    result.kind = run_result::failed;
    result.message = std::string{"pipe: "} + std::strerror(errno);
    return result;
  }
  fd_guard in_r{in[0]}, in_w{in[1]};
  if (pipe2(out, O_CLOEXEC) != 0) {
    result.kind = run_result::failed;
    result.message = std::string{"pipe: "} + std::strerror(errno);
    return result;
  }
  fd_guard out_r{out[0]}, out_w{out[1]};
  if (pipe2(err, O_CLOEXEC) != 0) {
    result.kind = run_result::failed;
    result.message = std::string{"pipe: "} + std::strerror(errno);
    return result;
  }
  fd_guard err_r{err[0]}, err_w{err[1]};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> argv;
  for (auto& a : spec.argv)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (auto& [k, v] : spec.env)
    env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  auto rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(),
                        envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.kind = run_result::failed;
    result.message = "cannot start " + spec.argv[0] + ": " + std::strerror(rc);
    return result;
  }
  children.add(pid);
  in_r.reset();
  out_w.reset();
  err_w.reset();
  fd_guard pidfd{static_cast<int>(::syscall(SYS_pidfd_open, pid, 0))};
  for (int fd : {in_w.fd, out_r.fd, err_r.fd})
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  size_t written = 0;
  if (input.empty())
    in_w.reset();
  std::string errbuf;
  bool exited = false;
  int status = 0;
  auto kill_child = [&] { ::kill(pid, SIGKILL); };
  char buf[65536];
  for (;;) {
    if (!exited && out_r.fd < 0 && err_r.fd < 0 && pidfd.fd < 0) {
      // No pidfd (old kernel): wait for the exit right away; the pipes
      // are closed, so the child is done or about to be.
      ::waitpid(pid, &status, 0);
      exited = true;
    }
    if (exited && out_r.fd < 0 && err_r.fd < 0)
      break;
    pollfd fds[4];
    nfds_t n = 0;
    auto add = [&](int fd, short events) {
      if (fd >= 0)
        fds[n++] = pollfd{fd, events, 0};
    };
    add(in_w.fd, POLLOUT);
    add(out_r.fd, POLLIN);
    add(err_r.fd, POLLIN);
    if (!exited)
      add(pidfd.fd, POLLIN);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - steady::now())
                  .count();
    if (left <= 0) {
      kill_child();
      ::waitpid(pid, &status, 0);
      children.remove(pid);
      result.kind = run_result::timed_out;
      return result;
    }
    auto ready = ::poll(fds, n, static_cast<int>(std::min<int64_t>(left, 60000)));
    if (ready < 0 && errno != EINTR) {
      kill_child();
      ::waitpid(pid, &status, 0);
      children.remove(pid);
      result.kind = run_result::failed;
      result.message = std::string{"poll: "} + std::strerror(errno);
      return result;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0)
        continue;
      auto fd = fds[i].fd;
      if (fd == in_w.fd) {
        auto k = ::write(fd, input.data() + written, input.size() - written);
        if (k > 0)
          written += static_cast<size_t>(k);
        if (k < 0 && errno != EAGAIN)
          in_w.reset(); // the child closed stdin early
        else if (written == input.size())
          in_w.reset();
      } else if (fd == out_r.fd || fd == err_r.fd) {
        auto k = ::read(fd, buf, sizeof(buf));
        if (k > 0) {
          if (fd == out_r.fd) {
            result.out.append(buf, static_cast<size_t>(k));
            if (result.out.size() > spec.max_payload) {
              kill_child();
              ::waitpid(pid, &status, 0);
              children.remove(pid);
              result.kind = run_result::too_large;
              result.out.clear();
              return result;
            }
          } else {
            errbuf.append(buf, static_cast<size_t>(k));
            if (errbuf.size() > 4 * stderr_tail)
              errbuf.erase(0, errbuf.size() - stderr_tail);
          }
        } else if (k == 0 || errno != EAGAIN) {
          if (fd == out_r.fd)
            out_r.reset();
          else
            err_r.reset();
        }
      } else if (fd == pidfd.fd) {
        ::waitpid(pid, &status, 0);
        exited = true;
      }
    }
  }
  children.remove(pid);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return result;
  result.kind = run_result::failed;
  if (WIFEXITED(status))
    result.message = spec.argv[0] + " exited with status "
                     + std::to_string(WEXITSTATUS(status));
  else if (WIFSIGNALED(status))
    result.message = spec.argv[0] + " was killed by signal "
                     + std::to_string(WTERMSIG(status));
  else
    result.message = spec.argv[0] + " failed";
  if (!errbuf.empty())
    result.message += "; stderr: " + tail_of(errbuf);
  return result;
}

class exec_invoker final : public invoker {
public:
  explicit exec_invoker(exec_spec spec)
    : spec_(std::make_shared<exec_spec>(std::move(spec))),
      children_(std::make_shared<child_set>()) {
    // nop
  }

  ~exec_invoker() override {
    // The worker is stopping: no child outlives it, no thread is left.
    children_->kill_all();
    for (auto& t : threads_)
      t.join();
  }

  invoke_result invoke(handler_context& ctx, const caf::message& args) override {
    reap_threads();
    if (!args.match_elements<std::string>())
      return invoke_result{make_error(
        error_code::bad_request, "route '" + ctx.route()
                                   + "' expects (std::string), got "
                                   + signature_of(args))};
    auto& input = args.get_as<std::string>(0);
    if (input.size() > spec_->max_payload)
      return invoke_result{make_error(
        error_code::bad_request,
        "route '" + ctx.route() + "': payload of "
          + std::to_string(input.size()) + " bytes exceeds max_payload ("
          + std::to_string(spec_->max_payload) + ")")};
    auto reply = ctx.defer();
    auto done = std::make_shared<std::atomic<bool>>(false);
    threads_.push_back(job{std::thread{[spec = spec_, children = children_,
                                        input, deadline = ctx.deadline(),
                                        route = ctx.route(), reply,
                                        done]() mutable {
                             // A child that exits without reading its stdin
                             // must not kill the process with SIGPIPE:
                             // block it here, write() then fails (EPIPE).
                             sigset_t pipe_only;
                             sigemptyset(&pipe_only);
                             sigaddset(&pipe_only, SIGPIPE);
                             pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
                             auto res = run(*spec, input, deadline, *children);
                             switch (res.kind) {
                               case run_result::ok:
                                 reply.post(caf::make_message(std::move(res.out)));
                                 break;
                               case run_result::timed_out:
                                 reply.post(make_error(
                                   error_code::timeout,
                                   "route '" + route + "': " + spec->argv[0]
                                     + " killed at the deadline"));
                                 break;
                               case run_result::too_large:
                                 reply.post(make_error(
                                   error_code::handler_failed,
                                   "route '" + route + "': output of "
                                     + spec->argv[0] + " exceeds max_payload ("
                                     + std::to_string(spec->max_payload)
                                     + " bytes); the child was killed"));
                                 break;
                               case run_result::failed:
                                 reply.post(make_error(error_code::handler_failed,
                                                       "route '" + route
                                                         + "': " + res.message));
                                 break;
                             }
                             *done = true;
                           }},
                           done});
    return deferred_t{};
  }

private:
  struct job {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
    void join() {
      if (thread.joinable())
        thread.join();
    }
  };

  void reap_threads() {
    threads_.remove_if([](job& j) {
      if (!*j.done)
        return false;
      j.join();
      return true;
    });
  }

  std::shared_ptr<exec_spec> spec_;
  std::shared_ptr<child_set> children_;
  std::list<job> threads_;
};

} // namespace

handler exec_handler(exec_spec spec) {
  if (spec.argv.empty())
    throw std::invalid_argument("exec_handler: argv is empty");
  return handler{[spec] { return std::make_unique<exec_invoker>(spec); },
                 "exec"};
}

} // namespace switchboard::daemon
