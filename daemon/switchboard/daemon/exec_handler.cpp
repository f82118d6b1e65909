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
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
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
  fd_guard() = default;
  fd_guard(const fd_guard&) = delete;
  fd_guard& operator=(const fd_guard&) = delete;
  ~fd_guard() {
    reset();
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

run_result failure(std::string message) {
  run_result result;
  result.kind = run_result::failed;
  result.message = std::move(message);
  return result;
}

std::string tail_of(const std::string& x) {
  if (x.size() <= stderr_tail)
    return x;
  return "..." + x.substr(x.size() - stderr_tail);
}

/// The process groups of the children of one worker still running, so a
/// stopping worker can kill them. Once closed, a child added is killed at
/// once.
class child_set {
public:
  void add(pid_t pid) {
    std::lock_guard<std::mutex> guard{mtx_};
    pids_.push_back(pid);
    if (closed_)
      ::kill(-pid, SIGKILL);
  }

  void remove(pid_t pid) {
    std::lock_guard<std::mutex> guard{mtx_};
    pids_.erase(std::remove(pids_.begin(), pids_.end(), pid), pids_.end());
  }

  void close_and_kill_all() {
    std::lock_guard<std::mutex> guard{mtx_};
    closed_ = true;
    for (auto pid : pids_)
      ::kill(-pid, SIGKILL);
  }

private:
  std::mutex mtx_;
  std::vector<pid_t> pids_;
  bool closed_ = false;
};

/// The pipes between the node and one child.
struct child_pipes {
  fd_guard in_r, in_w, out_r, out_w, err_r, err_w;

  /// Opens all three; an error text if one fails.
  std::string open() {
    for (auto [r, w] : {std::pair{&in_r, &in_w}, std::pair{&out_r, &out_w},
                        std::pair{&err_r, &err_w}}) {
      int fds[2];
      if (pipe2(fds, O_CLOEXEC) != 0)
        return std::string{"pipe: "} + std::strerror(errno);
      r->fd = fds[0];
      w->fd = fds[1];
    }
    return {};
  }
};

/// Starts `spec` with the pipes as stdin, stdout and stderr, in a process
/// group of its own (its pid is the group's id). Returns posix_spawn's
/// error number (0 on success).
int spawn_child(const exec_spec& spec, const child_pipes& p, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, p.in_r.fd, 0);
  posix_spawn_file_actions_adddup2(&actions, p.out_w.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, p.err_w.fd, 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attr, 0);
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
  auto rc = posix_spawn(&pid, argv[0], &actions, &attr, argv.data(),
                        envp.data());
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  return rc;
}

/// One child from its start to its reaping: feeds stdin, collects stdout
/// and the tail of stderr, and watches the exit, the deadline and the
/// output limit. When the child exits, what its pipes hold is read without
/// waiting for them to close (a background grandchild may keep them open),
/// then its whole process group is killed.
class child_run {
public:
  child_run(const exec_spec& spec, const std::string& input,
            steady::time_point deadline, child_set& children)
    : spec_(spec), input_(input), deadline_(deadline), children_(children) {
    // nop
  }

  run_result run() {
    if (auto err = pipes_.open(); !err.empty())
      return failure(err);
    if (auto rc = spawn_child(spec_, pipes_, pid_); rc != 0)
      return failure("cannot start " + spec_.argv[0] + ": "
                     + std::strerror(rc));
    children_.add(pid_);
    pipes_.in_r.reset();
    pipes_.out_w.reset();
    pipes_.err_w.reset();
    pidfd_.fd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    for (int fd : {pipes_.in_w.fd, pipes_.out_r.fd, pipes_.err_r.fd})
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (input_.empty())
      pipes_.in_w.reset();
    while (!exited()) {
      if (auto stop = step())
        return end(*stop);
    }
    drain();
    if (result_.out.size() > spec_.max_payload)
      return end(run_result::too_large);
    return end(run_result::ok);
  }

private:
  /// Whether the direct child has exited (a zombie not reaped yet).
  bool exited() {
    if (exited_)
      return true;
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info,
                 WEXITED | WNOHANG | WNOWAIT)
          == 0
        && info.si_pid == pid_)
      exited_ = true;
    return exited_;
  }

  /// Waits once for the pipes, the exit or the deadline; what stops the
  /// run early (deadline, output limit, poll failure), if anything.
  std::optional<run_result::kind_t> step() {
    pollfd fds[4];
    nfds_t n = 0;
    auto add = [&](int fd, short events) {
      if (fd >= 0)
        fds[n++] = pollfd{fd, events, 0};
    };
    add(pipes_.in_w.fd, POLLOUT);
    add(pipes_.out_r.fd, POLLIN);
    add(pipes_.err_r.fd, POLLIN);
    add(pidfd_.fd, POLLIN);
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline_ - steady::now())
                  .count();
    if (left <= 0)
      return run_result::timed_out;
    // Without a pidfd (old kernels) the exit is noticed by checking
    // between short waits.
    auto wait = std::min<int64_t>(left, pidfd_.fd >= 0 ? 60000 : 10);
    auto ready = ::poll(fds, n, static_cast<int>(wait));
    if (ready < 0 && errno != EINTR) {
      result_.message = std::string{"poll: "} + std::strerror(errno);
      return run_result::failed;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0)
        continue;
      if (fds[i].fd == pipes_.in_w.fd)
        write_input();
      else if (fds[i].fd == pipes_.out_r.fd || fds[i].fd == pipes_.err_r.fd)
        read_from(fds[i].fd);
    }
    if (result_.out.size() > spec_.max_payload)
      return run_result::too_large;
    return std::nullopt;
  }

  void write_input() {
    auto fd = pipes_.in_w.fd;
    auto k = ::write(fd, input_.data() + written_, input_.size() - written_);
    if (k > 0)
      written_ += static_cast<size_t>(k);
    if ((k < 0 && errno != EAGAIN) || written_ == input_.size())
      pipes_.in_w.reset(); // done, or the child closed stdin early
  }

  /// Reads once from stdout or stderr; false at the end of the pipe (or
  /// when nothing is there now).
  bool read_from(int fd) {
    auto k = ::read(fd, buf_, sizeof(buf_));
    if (k > 0) {
      if (fd == pipes_.out_r.fd) {
        result_.out.append(buf_, static_cast<size_t>(k));
      } else {
        errbuf_.append(buf_, static_cast<size_t>(k));
        if (errbuf_.size() > 4 * stderr_tail)
          errbuf_.erase(0, errbuf_.size() - stderr_tail);
      }
      return true;
    }
    if (k == 0 || errno != EAGAIN) {
      if (fd == pipes_.out_r.fd)
        pipes_.out_r.reset();
      else
        pipes_.err_r.reset();
    }
    return false;
  }

  /// Reads what the pipes hold now, without waiting for more: the child
  /// has exited, so everything it wrote is there.
  void drain() {
    pipes_.in_w.reset();
    while (pipes_.out_r.fd >= 0 && result_.out.size() <= spec_.max_payload
           && read_from(pipes_.out_r.fd)) {
      // nop
    }
    while (pipes_.err_r.fd >= 0 && read_from(pipes_.err_r.fd)) {
      // nop
    }
  }

  /// Kills what is left of the process group, reaps the child and makes
  /// the result.
  run_result end(run_result::kind_t kind) {
    ::kill(-pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    children_.remove(pid_);
    result_.kind = kind;
    if (kind == run_result::too_large || kind == run_result::timed_out)
      result_.out.clear();
    if (kind == run_result::ok)
      check_status(status);
    return std::move(result_);
  }

  void check_status(int status) {
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
      return;
    result_.kind = run_result::failed;
    result_.out.clear();
    if (WIFEXITED(status))
      result_.message = spec_.argv[0] + " exited with status "
                        + std::to_string(WEXITSTATUS(status));
    else if (WIFSIGNALED(status))
      result_.message = spec_.argv[0] + " was killed by signal "
                        + std::to_string(WTERMSIG(status));
    else
      result_.message = spec_.argv[0] + " failed";
    if (!errbuf_.empty())
      result_.message += "; stderr: " + tail_of(errbuf_);
  }

  const exec_spec& spec_;
  const std::string& input_;
  steady::time_point deadline_;
  child_set& children_;
  child_pipes pipes_;
  fd_guard pidfd_;
  pid_t pid_ = 0;
  bool exited_ = false;
  size_t written_ = 0;
  std::string errbuf_;
  run_result result_;
  char buf_[65536];
};

/// One request waiting for, or holding, the worker's child slot.
struct exec_job {
  std::string input;
  steady::time_point deadline;
  std::string route;
  deferred_reply reply;
};

/// Runs the requests of one worker one child at a time, in arrival order,
/// on a thread of its own that exists while there is work. A request whose
/// deadline passes while it waits gets `timeout` without a child.
class child_queue {
public:
  explicit child_queue(std::shared_ptr<const exec_spec> spec)
    : spec_(std::move(spec)) {
    // nop
  }

  ~child_queue() {
    // The worker is stopping: waiting requests are dropped (the worker
    // answers them), the running child is killed, no thread is left.
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
      jobs_.clear();
    }
    children_.close_and_kill_all();
    if (thread_.joinable())
      thread_.join();
  }

  void push(exec_job job) {
    std::lock_guard<std::mutex> guard{mtx_};
    jobs_.push_back(std::move(job));
    if (busy_)
      return;
    busy_ = true;
    // The previous thread found the queue empty and is ending.
    if (thread_.joinable())
      thread_.join();
    thread_ = std::thread{[this] { loop(); }};
  }

private:
  void loop() {
    // A child that exits without reading its stdin must not kill the
    // process with SIGPIPE: block it here, write() then fails (EPIPE).
    sigset_t pipe_only;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_only, nullptr);
    for (;;) {
      exec_job job;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        if (stopping_ || jobs_.empty()) {
          busy_ = false;
          return;
        }
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      serve(job);
    }
  }

  void serve(exec_job& job) {
    auto& spec = *spec_;
    auto prefix = "route '" + job.route + "': ";
    if (steady::now() >= job.deadline) {
      job.reply.post(make_error(error_code::timeout,
                                prefix + "the deadline passed while waiting "
                                         "for a free child (workers bounds "
                                         "the children running at once)"));
      return;
    }
    auto res = child_run{spec, job.input, job.deadline, children_}.run();
    switch (res.kind) {
      case run_result::ok:
        job.reply.post(caf::make_message(std::move(res.out)));
        break;
      case run_result::timed_out:
        job.reply.post(make_error(error_code::timeout,
                                  prefix + spec.argv[0]
                                    + " killed at the deadline"));
        break;
      case run_result::too_large:
        job.reply.post(make_error(
          error_code::handler_failed,
          prefix + "output of " + spec.argv[0] + " exceeds max_payload ("
            + std::to_string(spec.max_payload) + " bytes); the child was "
            + "killed"));
        break;
      case run_result::failed:
        job.reply.post(make_error(error_code::handler_failed,
                                  prefix + res.message));
        break;
    }
  }

  std::shared_ptr<const exec_spec> spec_;
  child_set children_;
  std::mutex mtx_;
  std::deque<exec_job> jobs_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

class exec_invoker final : public invoker {
public:
  explicit exec_invoker(std::shared_ptr<const exec_spec> spec)
    : spec_(spec), queue_(std::move(spec)) {
    // nop
  }

  invoke_result invoke(handler_context& ctx, const caf::message& args) override {
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
    queue_.push({input, ctx.deadline(), ctx.route(), ctx.defer()});
    return deferred_t{};
  }

private:
  std::shared_ptr<const exec_spec> spec_;
  child_queue queue_;
};

} // namespace

handler exec_handler(exec_spec spec) {
  if (spec.argv.empty())
    throw std::invalid_argument("exec_handler: argv is empty");
  auto shared = std::make_shared<const exec_spec>(std::move(spec));
  return handler{[shared] { return std::make_unique<exec_invoker>(shared); },
                 "exec"};
}

} // namespace switchboard::daemon
