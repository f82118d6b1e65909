#include "switchboard/detail/transport.hpp"

#include <cerrno>
#include <set>
#include <utility>

#include <sys/socket.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/doorman.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/middleman_actor_impl.hpp>
#include <caf/io/network/acceptor_impl.hpp>
#include <caf/io/network/default_multiplexer.hpp>
#include <caf/io/network/stream_impl.hpp>
#include <caf/io/scribe.hpp>
#include <caf/node_id.hpp>
#include <caf/policy/tcp.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/sec.hpp>
#include <caf/send.hpp>

#include "switchboard/detail/frame_guard.hpp"
#include "switchboard/detail/deserializer_bounds.hpp"
#include "switchboard/detail/tls_session.hpp"

namespace switchboard::detail {

namespace {

using caf::io::network::default_multiplexer;
using caf::io::network::native_socket;
using caf::io::network::rw_state;

/// What every connection and listener of one transport shares.
struct transport_shared {
  caf::actor_system* sys;
  uint64_t max_frame;
  std::shared_ptr<tls_context> tls;
  std::shared_ptr<identity_table> ids;
  std::shared_ptr<traffic_table> traffic;
  std::function<void(const std::string&)> log;
  std::function<void(int)> on_accept;
  std::shared_ptr<const frame_guard::custom_types> custom_types;

  void write_log(const std::string& line) const {
    if (log)
      log(line);
  }
};

std::string peer_of(native_socket fd) {
  auto addr = caf::io::network::remote_addr_of_fd(fd);
  auto port = caf::io::network::remote_port_of_fd(fd);
  std::string result = addr ? *addr : std::string{"?"};
  result += ':';
  result += port ? std::to_string(*port) : std::string{"?"};
  return result;
}

// -- one connection ----------------------------------------------------------

/// The transport's state of one connection: its frame guard, its TLS
/// session (if any), the node id it bound in the identity table and its
/// byte counts.
class connection {
public:
  connection(std::shared_ptr<const transport_shared> shared, native_socket fd,
             std::unique_ptr<tls_session> tls)
    : shared_(std::move(shared)), fd_(fd), tls_(std::move(tls)),
      guard_(shared_->max_frame, handshake_callback(),
             shared_->custom_types) {
    // nop
  }

  ~connection() {
    if (bound_)
      shared_->ids->unbind(*bound_);
    if (counted_)
      shared_->traffic->detach(*counted_, &bytes_);
  }

  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  rw_state read_some(size_t& result, void* buf, size_t len) {
    auto st = tls_ ? tls_->read_some(result, buf, len)
                   : caf::policy::tcp::read_some(result, fd_, buf, len);
    if (st == rw_state::success && result > 0) {
      bytes_.add_in(result);
      if (!guard_.consume(static_cast<const char*>(buf), result)) {
        report_refusal();
        result = 0;
        return rw_state::failure;
      }
    }
    return st;
  }

  rw_state write_some(size_t& result, const void* buf, size_t len) {
    auto st = tls_ ? tls_->write_some(result, buf, len)
                   : caf::policy::tcp::write_some(result, fd_, buf, len);
    if (st == rw_state::success)
      bytes_.add_out(result);
    return st;
  }

  bool must_read_more(size_t threshold) const {
    return tls_ && tls_->must_read_more(threshold);
  }

  bool is_tls() const noexcept {
    return tls_ != nullptr;
  }

private:
  bool binds_identity() const {
    return tls_ && shared_->ids;
  }

  frame_guard::handshake_callback handshake_callback() {
    if (!binds_identity() && !shared_->traffic)
      return nullptr;
    return [this](uint8_t, const std::vector<char>& payload) {
      return on_handshake(payload);
    };
  }

  /// Learns the node id a BASP handshake names: binds it to the TLS peer's
  /// subject and attaches the byte counts under it. Binding fails closed:
  /// no readable node id, no subject, or a conflict refuses. Without TLS a
  /// handshake without a readable node id is left to CAF (and not counted).
  bool on_handshake(const std::vector<char>& payload) {
    caf::binary_deserializer source{*shared_->sys, payload.data(),
                                    payload.size()};
    caf::node_id node;
    if (auto err = source(node)) {
      conflict_ = "handshake carries no readable node id";
      return !binds_identity();
    }
    if (!node) {
      conflict_ = "handshake names no node";
      return !binds_identity();
    }
    if (binds_identity() && !bind_identity(node))
      return false;
    if (shared_->traffic && !counted_) {
      shared_->traffic->attach(node, &bytes_);
      counted_ = node;
    }
    return true;
  }

  /// Binds `node` to the TLS peer's subject (see `on_handshake`).
  bool bind_identity(const caf::node_id& node) {
    if (bound_) {
      if (*bound_ == node)
        return true;
      conflict_ = "handshake names node " + to_string(node) + " after node "
                  + to_string(*bound_);
      return false;
    }
    const auto& subject = tls_->peer_subject();
    if (subject.empty()) {
      conflict_ = "peer has no certificate subject";
      return false;
    }
    if (!shared_->ids->bind(node, subject)) {
      auto other = shared_->ids->subject_of(node);
      conflict_ = "node " + to_string(node) + " is bound to \""
                  + other.value_or("?") + "\", the certificate says \""
                  + subject + "\"";
      return false;
    }
    bound_ = node;
    return true;
  }

  void report_refusal() {
    std::string line
      = "transport: closed connection from " + peer_of(fd_) + ": ";
    switch (guard_.refused()) {
    case frame_guard::refusal::oversized_frame:
      line += "BASP header announces " + std::to_string(guard_.refused_size())
              + " bytes, max_frame is " + std::to_string(guard_.max_frame());
      break;
    case frame_guard::refusal::oversized_handshake:
      line += "BASP handshake announces "
              + std::to_string(guard_.refused_size()) + " bytes, at most "
              + std::to_string(frame_guard::max_handshake) + " allowed";
      break;
    case frame_guard::refusal::refused_type:
      line += "a message names the type " + guard_.refused_type()
              + ", which this node does not decode from the network";
      break;
    case frame_guard::refusal::oversized_type_list:
      line += "a message's type list announces "
              + std::to_string(guard_.refused_size()) + " bytes, at most "
              + std::to_string(frame_guard::max_type_list) + " allowed";
      break;
    default:
      line += conflict_;
      break;
    }
    shared_->write_log(line);
  }

  std::shared_ptr<const transport_shared> shared_;
  native_socket fd_;
  std::unique_ptr<tls_session> tls_;
  frame_guard guard_;
  std::optional<caf::node_id> bound_;
  std::string conflict_;
  connection_bytes bytes_;
  /// The node `bytes_` is attached under in the traffic table.
  std::optional<caf::node_id> counted_;
};

/// Makes the transport's state for a connection on `fd`; nullptr when its
/// TLS session cannot start.
std::unique_ptr<connection>
make_connection(const std::shared_ptr<const transport_shared>& shared,
                native_socket fd, bool accepted) {
  std::unique_ptr<tls_session> tls;
  if (shared->tls) {
    tls = tls_session::make(shared->tls, fd, accepted);
    if (!tls)
      return nullptr;
  }
  return std::make_unique<connection>(shared, fd, std::move(tls));
}

/// The stream policy of every transport connection: reads and writes
/// through the connection (TLS or TCP), the frame guard watching reads.
struct guarded_policy {
  explicit guarded_policy(std::unique_ptr<connection> conn)
    : conn_(std::move(conn)) {
    // nop
  }

  rw_state read_some(size_t& result, native_socket, void* buf, size_t len) {
    return conn_->read_some(result, buf, len);
  }

  rw_state write_some(size_t& result, native_socket, const void* buf,
                      size_t len) {
    return conn_->write_some(result, buf, len);
  }

  bool must_read_more(native_socket, size_t threshold) {
    return conn_->must_read_more(threshold);
  }

  bool is_tls() const noexcept {
    return conn_->is_tls();
  }

private:
  std::unique_ptr<connection> conn_;
};

/// A CAF scribe over a guarded stream (after caf::openssl's scribe_impl).
class guarded_scribe : public caf::io::scribe {
public:
  guarded_scribe(default_multiplexer& mpx, native_socket fd,
                 std::unique_ptr<connection> conn)
    : scribe(caf::io::network::conn_hdl_from_socket(fd)), tls_(conn->is_tls()),
      stream_(mpx, fd, std::move(conn)) {
    // nop
  }

  void configure_read(caf::io::receive_policy::config config) override {
    stream_.configure_read(config);
    if (!launched_)
      launch();
  }

  void ack_writes(bool enable) override {
    stream_.ack_writes(enable);
  }

  std::vector<char>& wr_buf() override {
    return stream_.wr_buf();
  }

  std::vector<char>& rd_buf() override {
    return stream_.rd_buf();
  }

  void graceful_shutdown() override {
    stream_.graceful_shutdown();
    detach(&stream_.backend(), false);
  }

  void flush() override {
    stream_.flush(this);
  }

  std::string addr() const override {
    auto x = caf::io::network::remote_addr_of_fd(stream_.fd());
    return x ? *x : std::string{};
  }

  uint16_t port() const override {
    auto x = caf::io::network::remote_port_of_fd(stream_.fd());
    return x ? *x : uint16_t{0};
  }

  void add_to_loop() override {
    stream_.activate(this);
  }

  void remove_from_loop() override {
    stream_.passivate();
  }

private:
  void launch() {
    launched_ = true;
    stream_.start(this);
    // A dialled TLS connection starts its handshake on the first write.
    if (tls_)
      stream_.force_empty_write(this);
  }

  bool launched_ = false;
  bool tls_;
  caf::io::network::stream_impl<guarded_policy> stream_;
};

// -- listeners ---------------------------------------------------------------

/// What a listener's accept policy keeps between calls.
struct listener_state {
  spare_fd spare;
  bool exhaustion_logged = false;
};

/// Accepts with a spare fd for EMFILE/ENFILE and moves each accepted socket
/// to a fresh fd number.
struct guarded_accept_policy {
  guarded_accept_policy(std::shared_ptr<const transport_shared> shared,
                        std::shared_ptr<listener_state> state)
    : shared_(std::move(shared)), state_(std::move(state)) {
    // nop
  }

  bool try_accept(native_socket& result, native_socket listener) {
    result = caf::io::network::invalid_native_socket;
    auto fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      auto err = errno;
      if (err == EMFILE || err == ENFILE) {
        state_->spare.shed(listener);
        if (!state_->exhaustion_logged) {
          state_->exhaustion_logged = true;
          shared_->write_log(
            std::string{"transport: out of file descriptors ("}
            + (err == EMFILE ? "EMFILE" : "ENFILE")
            + "): closing incoming connections at once until some are free");
        }
      }
      return false;
    }
    result = rotate_fd(fd);
    return true;
  }

private:
  std::shared_ptr<const transport_shared> shared_;
  std::shared_ptr<listener_state> state_;
};

/// A CAF doorman over the guarded accept policy; its connections are
/// guarded scribes (after io::network::doorman_impl).
class guarded_doorman : public caf::io::doorman {
public:
  guarded_doorman(default_multiplexer& mpx, native_socket fd,
                  std::shared_ptr<const transport_shared> shared)
    : doorman(caf::io::network::accept_hdl_from_socket(fd)), shared_(shared),
      acceptor_(mpx, fd, shared, std::make_shared<listener_state>()) {
    // nop
  }

  bool new_connection() override {
    if (detached())
      return false;
    auto& mpx = acceptor_.backend();
    auto fd = acceptor_.accepted_socket();
    caf::io::network::nonblocking(fd, true);
    auto conn = make_connection(shared_, fd, true);
    if (!conn) {
      shared_->write_log("transport: closed connection from " + peer_of(fd)
                         + ": cannot start a TLS session");
      close(fd);
      return false;
    }
    if (shared_->on_accept)
      shared_->on_accept(fd);
    auto scrb = caf::make_counted<guarded_scribe>(mpx, fd, std::move(conn));
    auto hdl = scrb->hdl();
    parent()->add_scribe(std::move(scrb));
    return doorman::new_connection(&mpx, hdl);
  }

  void graceful_shutdown() override {
    acceptor_.graceful_shutdown();
    detach(&acceptor_.backend(), false);
  }

  void launch() override {
    acceptor_.start(this);
  }

  std::string addr() const override {
    auto x = caf::io::network::local_addr_of_fd(acceptor_.fd());
    return x ? *x : std::string{};
  }

  uint16_t port() const override {
    auto x = caf::io::network::local_port_of_fd(acceptor_.fd());
    return x ? *x : uint16_t{0};
  }

  void add_to_loop() override {
    acceptor_.activate(this);
  }

  void remove_from_loop() override {
    acceptor_.passivate();
  }

private:
  std::shared_ptr<const transport_shared> shared_;
  caf::io::network::acceptor_impl<guarded_accept_policy> acceptor_;
};

// -- the middleman actor -----------------------------------------------------

/// CAF's middleman actor with the transport's scribes and doormen (after
/// caf::openssl::middleman_actor_impl).
class transport_actor : public caf::io::middleman_actor_impl {
public:
  transport_actor(caf::actor_config& cfg, caf::actor broker,
                  std::shared_ptr<const transport_shared> shared)
    : caf::io::middleman_actor_impl(cfg, std::move(broker)),
      shared_(std::move(shared)) {
    // nop
  }

  const char* name() const override {
    return "switchboard.transport";
  }

protected:
  caf::expected<caf::io::scribe_ptr> connect(const std::string& host,
                                             uint16_t port) override {
    auto fd = caf::io::network::new_tcp_connection(host, port);
    if (!fd)
      return std::move(fd.error());
    auto sock = rotate_fd(*fd);
    caf::io::network::nonblocking(sock, true);
    auto conn = make_connection(shared_, sock, false);
    if (!conn) {
      close(sock);
      return caf::sec::cannot_connect_to_node;
    }
    return caf::make_counted<guarded_scribe>(mpx(), sock, std::move(conn));
  }

  caf::expected<caf::io::doorman_ptr> open(uint16_t port, const char* addr,
                                           bool reuse) override {
    auto fd = caf::io::network::new_tcp_acceptor_impl(port, addr, reuse);
    if (!fd)
      return std::move(fd.error());
    return caf::make_counted<guarded_doorman>(mpx(), *fd, shared_);
  }

private:
  default_multiplexer& mpx() {
    return static_cast<default_multiplexer&>(system().middleman().backend());
  }

  std::shared_ptr<const transport_shared> shared_;
};

} // namespace

caf::expected<caf::io::middleman_actor>
spawn_transport(caf::actor_system& sys, transport_options opts,
                std::shared_ptr<identity_table> ids) {
  bound_deserializer();
  auto shared = std::make_shared<transport_shared>();
  shared->sys = &sys;
  shared->max_frame = opts.max_frame;
  shared->ids = ids ? std::move(ids) : std::make_shared<identity_table>();
  shared->log = std::move(opts.log);
  shared->on_accept = std::move(opts.on_accept);
  shared->traffic = std::move(opts.traffic);
  shared->custom_types = std::move(opts.custom_types);
  if (opts.tls) {
    std::string error;
    shared->tls = tls_context::make(opts.tls->certificate, opts.tls->key,
                                    opts.tls->ca, error);
    if (!shared->tls)
      return caf::make_error(caf::sec::runtime_error, std::move(error));
  }
  auto broker
    = sys.middleman().named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  auto transport = sys.spawn<transport_actor, caf::detached + caf::hidden>(
    std::move(broker), std::shared_ptr<const transport_shared>{shared});
  // Stop with CAF's own middleman actor, which the middleman kills when the
  // actor system shuts down (as caf::openssl::manager stops its actor).
  auto weak = caf::actor_cast<caf::weak_actor_ptr>(transport);
  sys.middleman().actor_handle()->attach_functor([weak] {
    if (auto ptr = weak.lock())
      caf::anon_send_exit(ptr, caf::exit_reason::kill);
  });
  return transport;
}

caf::expected<uint16_t>
transport_publish(caf::actor_system& sys,
                  const caf::io::middleman_actor& transport, caf::actor whom,
                  uint16_t port, const std::string& host, bool reuse) {
  if (!whom)
    return caf::sec::invalid_argument;
  caf::scoped_actor self{sys};
  caf::expected<uint16_t> result{caf::sec::runtime_error};
  self
    ->request(transport, caf::infinite, caf::publish_atom::value, port,
              caf::actor_cast<caf::strong_actor_ptr>(whom),
              std::set<std::string>{}, host, reuse)
    .receive([&](uint16_t actual) { result = actual; },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

caf::expected<caf::actor> transport_remote_actor(
  caf::actor_system& sys, const caf::io::middleman_actor& transport,
  const std::string& host, uint16_t port, caf::timespan timeout) {
  caf::scoped_actor self{sys};
  caf::expected<caf::actor> result{caf::sec::runtime_error};
  self->request(transport, timeout, caf::connect_atom::value, host, port)
    .receive(
      [&](caf::node_id&, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
        if (ptr)
          result = caf::actor_cast<caf::actor>(std::move(ptr));
        else
          result = caf::make_error(caf::sec::no_actor_published_at_port);
      },
      [&](caf::error& err) { result = std::move(err); });
  return result;
}

} // namespace switchboard::detail
