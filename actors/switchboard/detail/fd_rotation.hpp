#pragma once

namespace switchboard::detail {

/// Raises the soft RLIMIT_NOFILE to the hard limit. Returns false when
/// getrlimit/setrlimit fail. The daemon calls it once at start.
bool raise_fd_limit();

/// Moves socket `fd` to a fresh descriptor number and closes `fd`; returns
/// the new number, or `fd` itself when no fresh number is available.
///
/// CAF 0.17 names a connection by its fd number, and its BASP broker cleans
/// up a closed connection only later, through its own mailbox: a new
/// connection that gets a just-closed number can lose its routing entry and
/// then every reply (see caf-0.17-notes.md). New numbers come from a cursor
/// that advances through the upper three quarters of the soft fd limit
/// (at most 64 Ki numbers) and wraps, so a number comes back only after the
/// cursor has gone round. Numbers may exceed 1023: nothing in the process
/// may select(2) on them (CAF's multiplexer uses epoll). Thread-safe.
int rotate_fd(int fd);

/// One descriptor held open in reserve, so that a listener that hits
/// EMFILE/ENFILE can free a slot, accept the pending connection and close it
/// at once, instead of staying readable (and spinning) forever.
///
/// If the spare cannot be reopened (another thread took the freed slot),
/// the next EMFILE finds no slot to free and the listener polls again until
/// a descriptor is free. Not thread-safe; one per listener.
class spare_fd {
public:
  spare_fd();
  ~spare_fd();
  spare_fd(const spare_fd&) = delete;
  spare_fd& operator=(const spare_fd&) = delete;

  /// Closes the spare (if held), calls accept(2) on `listener`, closes what
  /// it accepted, and reopens the spare. Returns true when a pending
  /// connection was taken off the backlog.
  bool shed(int listener);

  /// Whether the spare is currently held.
  bool held() const noexcept {
    return fd_ >= 0;
  }

private:
  void reopen();
  int fd_ = -1;
};

} // namespace switchboard::detail
