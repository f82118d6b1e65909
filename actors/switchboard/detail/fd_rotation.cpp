#include "switchboard/detail/fd_rotation.hpp"

#include <atomic>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace switchboard::detail {

namespace {

/// Fds the cursor leaves free at the top of the limit, for everything else.
constexpr int top_reserve = 16;

/// Most numbers the cursor goes through before it wraps.
constexpr rlim_t max_range = 65536;

std::atomic<int> cursor{0};

/// The range [lo, hi) the cursor goes through under the current soft limit.
bool rotation_range(int& lo, int& hi) {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return false;
  auto soft = lim.rlim_cur == RLIM_INFINITY ? max_range : lim.rlim_cur;
  if (soft > max_range)
    soft = max_range;
  hi = static_cast<int>(soft) - top_reserve;
  lo = static_cast<int>(soft / 4);
  if (lo < 3)
    lo = 3;
  return hi - lo >= 16;
}

} // namespace

bool raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0)
    return false;
  if (lim.rlim_cur == lim.rlim_max)
    return true;
  lim.rlim_cur = lim.rlim_max;
  return setrlimit(RLIMIT_NOFILE, &lim) == 0;
}

int rotate_fd(int fd) {
  int lo = 0;
  int hi = 0;
  if (!rotation_range(lo, hi))
    return fd;
  auto start = cursor.load(std::memory_order_relaxed);
  if (start < lo || start >= hi)
    start = lo;
  auto moved = fcntl(fd, F_DUPFD_CLOEXEC, start);
  if (moved < 0 || moved >= hi) {
    // Wrapped or nothing free above the cursor: go round once.
    if (moved >= 0)
      close(moved);
    moved = fcntl(fd, F_DUPFD_CLOEXEC, lo);
    if (moved < 0 || moved >= hi) {
      if (moved >= 0)
        close(moved);
      return fd;
    }
  }
  cursor.store(moved + 1, std::memory_order_relaxed);
  close(fd);
  return moved;
}

spare_fd::spare_fd() {
  reopen();
}

spare_fd::~spare_fd() {
  if (fd_ >= 0)
    close(fd_);
}

void spare_fd::reopen() {
  if (fd_ < 0)
    fd_ = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

bool spare_fd::shed(int listener) {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
  auto conn = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (conn >= 0)
    close(conn);
  reopen();
  return conn >= 0;
}

} // namespace switchboard::detail
