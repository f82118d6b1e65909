#include <catch2/catch.hpp>

// The node's transport beneath BASP, attacked with raw TCP and TLS sockets
// on 127.0.0.1. Every wait is bounded.

#include <fcntl.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <atomic>
#include <fstream>
#include <thread>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <caf/binary_serializer.hpp>
#include <caf/io/middleman.hpp>

#include "load/rss.hpp"
#include "mesh/mesh_node.hpp"
#include "switchboard/detail/transport.hpp"

using namespace switchboard;
using namespace switchboard::detail;
using namespace switchboard::test;

namespace {

constexpr uint64_t test_max_frame = 1024 * 1024;

/// A client_handshake header with zero actor ids passes CAF's header check
/// (basp::valid), so CAF would allocate whatever payload it announces.
constexpr uint8_t client_handshake_op = 0x01;

/// So does a direct_message header with a destination actor, once the
/// sender has completed its handshake.
constexpr uint8_t direct_message_op = 0x02;

// -- certificates
// --------------------------------------------------------------

/// Test certificates made once per process with the `openssl` command:
/// ca1 signs n1 (servers), alice, mallory; ca2 signs rogue.
struct cert_dir {
  std::string dir;

  cert_dir() {
    char tmpl[] = "/tmp/sb-transport-XXXXXX";
    if (mkdtemp(tmpl) == nullptr)
      return;
    dir = tmpl;
    std::string script = R"(set -e
cd ")" + dir + R"("
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1.key" 2>/dev/null; }
for ca in ca1 ca2; do
  key $ca
  openssl req -x509 -new -key $ca.key -out $ca.pem -days 2 -subj "/CN=$ca" 2>/dev/null
done
sign() {
  key "$1"
  openssl req -new -key "$1.key" -out "$1.csr" -subj "/CN=$1" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -out "$1.pem" -days 2 2>/dev/null
}
sign n1 ca1
sign alice ca1
sign mallory ca1
sign rogue ca2
)";
    std::ofstream{dir + "/make.sh"} << script;
    if (std::system(("/bin/bash " + dir + "/make.sh").c_str()) != 0)
      dir.clear();
  }

  ~cert_dir() {
    if (!dir.empty())
      static_cast<void>(std::system(("rm -rf " + dir).c_str()));
  }

  /// The files of `name`, trusting `ca`.
  tls_files files(const std::string& name,
                  const std::string& ca = "ca1") const {
    return {dir + "/" + name + ".pem", dir + "/" + name + ".key",
            dir + "/" + ca + ".pem"};
  }
};

const cert_dir& certs() {
  static cert_dir instance;
  REQUIRE_FALSE(instance.dir.empty());
  return instance;
}

// -- nodes -------------------------------------------------------------------

/// An actor system with a transport; with `serve`, it publishes an echo
/// actor on 127.0.0.1 (OS-picked port) through that transport.
struct node {
  caf::actor_system_config cfg;
  std::optional<caf::actor_system> sys;
  std::shared_ptr<identity_table> ids = std::make_shared<identity_table>();
  std::shared_ptr<log_sink> logs = std::make_shared<log_sink>();
  std::shared_ptr<std::vector<int>> accepted
    = std::make_shared<std::vector<int>>();
  caf::io::middleman_actor transport;
  caf::actor echo;
  std::shared_ptr<std::atomic<int>> echoed
    = std::make_shared<std::atomic<int>>(0);
  uint16_t port = 0;

  /// `setup` adjusts the configuration before the system starts.
  explicit node(
    std::optional<tls_files> tls = std::nullopt, bool serve = true,
    int threads = 2,
    const std::function<void(caf::actor_system_config&)>& setup = nullptr) {
    cfg.set("scheduler.max-threads", threads);
    cfg.set("middleman.workers", 0);
    cfg.load<caf::io::middleman>();
    if (setup)
      setup(cfg);
    sys.emplace(cfg);
    transport_options opts;
    opts.max_frame = test_max_frame;
    opts.tls = std::move(tls);
    opts.log = [sink = logs](const std::string& line) { sink->add(line); };
    opts.on_accept = [sink = logs, fds = accepted](int fd) {
      std::lock_guard<std::mutex> guard{sink->mtx};
      fds->push_back(fd);
    };
    auto t = spawn_transport(*sys, std::move(opts), ids);
    REQUIRE(t);
    transport = *t;
    if (!serve)
      return;
    echo = sys->spawn([n = echoed]() -> caf::behavior {
      return {
        [n](int32_t x) {
          ++*n;
          return x;
        },
        [n](const std::string& x) {
          ++*n;
          return x;
        },
      };
    });
    auto p = transport_publish(*sys, transport, echo, 0, "127.0.0.1", true);
    REQUIRE(p);
    port = *p;
  }

  ~node() {
    // The transport stops with the actor system's middleman by itself.
    if (echo)
      caf::anon_send_exit(echo, caf::exit_reason::user_shutdown);
  }

  /// Whether the echo actor answers a local call (it has started).
  bool echo_ready() {
    caf::scoped_actor self{*sys};
    bool ok = false;
    self->request(echo, 10s, int32_t{0})
      .receive([&](int32_t) { ok = true; }, [&](caf::error&) {});
    return ok;
  }

  std::vector<int> accepted_fds() {
    std::lock_guard<std::mutex> guard{logs->mtx};
    return *accepted;
  }
};

/// Connects `client` to `server`'s echo actor and calls it with `x`.
template <class T>
caf::expected<T> call_echo(node& client, const node& server, T x,
                           caf::timespan timeout = 10s) {
  auto remote = transport_remote_actor(*client.sys, client.transport,
                                       "127.0.0.1", server.port, timeout);
  if (!remote)
    return remote.error();
  caf::scoped_actor self{*client.sys};
  caf::expected<T> result{caf::sec::request_timeout};
  self->request(*remote, timeout, std::move(x))
    .receive([&](T& y) { result = std::move(y); },
             [&](caf::error& err) { result = std::move(err); });
  return result;
}

template <class T>
std::string show(const caf::expected<T>& x) {
  if (x)
    return "value";
  return "error " + caf::to_string(x.error());
}

/// Checks that `server` still answers a fresh plain client's call with `x`
/// (after an attacker's connection was closed).
void check_still_serves(const node& server, int32_t x) {
  node client{std::nullopt, false};
  auto out = call_echo(client, server, x);
  INFO(show(out));
  REQUIRE(out);
  CHECK(*out == x);
}

// -- raw peers ---------------------------------------------------------------

/// Resident set size of this process in bytes.
size_t rss_bytes() {
  std::ifstream statm{"/proc/self/statm"};
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

/// The CPU time of the whole process over `interval` of wall time, as a
/// share of that wall time (1.0 = one core busy throughout). Uses no Catch
/// macro: it also runs while the process has no fd to spare.
double cpu_share_over(std::chrono::milliseconds interval) {
  auto cpu_us = [] {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec * 1e6 + ru.ru_utime.tv_usec
           + ru.ru_stime.tv_sec * 1e6 + ru.ru_stime.tv_usec;
  };
  auto cpu_before = cpu_us();
  auto wall_before = steady::now();
  std::this_thread::sleep_for(interval); // the measured interval, not a wait
  auto wall = std::chrono::duration_cast<std::chrono::microseconds>(
                steady::now() - wall_before)
                .count();
  return (cpu_us() - cpu_before) / static_cast<double>(wall);
}

/// A 32-byte BASP header (all other fields zero).
std::vector<char> basp_header(uint8_t operation, uint32_t payload_len,
                              uint64_t dest_actor = 0) {
  std::vector<char> result(32, 0);
  result[0] = static_cast<char>(operation);
  for (int i = 0; i < 4; ++i)
    result[4 + i] = static_cast<char>((payload_len >> (24 - 8 * i)) & 0xFF);
  for (int i = 0; i < 8; ++i)
    result[24 + i] = static_cast<char>((dest_actor >> (56 - 8 * i)) & 0xFF);
  return result;
}

/// A whole client_handshake frame naming `nid`.
std::vector<char> client_handshake_frame(caf::actor_system& sys,
                                         const caf::node_id& nid) {
  std::vector<char> payload;
  caf::binary_serializer sink{sys, payload};
  if (sink(nid))
    return {};
  auto frame
    = basp_header(client_handshake_op, static_cast<uint32_t>(payload.size()));
  frame.insert(frame.end(), payload.begin(), payload.end());
  return frame;
}

/// A blocking TCP socket connected to 127.0.0.1:`port`, or -1.
int raw_connect(uint16_t port) {
  auto fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::vector<char>& buf) {
  return ::send(fd, buf.data(), buf.size(), MSG_NOSIGNAL)
         == static_cast<ssize_t>(buf.size());
}

/// Reads (and drops) what the server sends until it closes the connection;
/// true if it did within `timeout`.
bool closed_within(int fd, caf::timespan timeout) {
  auto deadline = steady::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                  deadline - steady::now())
                  .count();
    if (left <= 0)
      return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0)
      continue;
    auto n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0)
      return true;
  }
}

/// A raw TLS client with OpenSSL's C API on a blocking socket with receive
/// timeouts.
struct raw_tls_client {
  SSL_CTX* ctx = nullptr;
  SSL* ssl = nullptr;
  int fd = -1;

  /// `files` null: no client certificate.
  raw_tls_client(uint16_t port, const tls_files* files, const std::string& ca) {
    ctx = SSL_CTX_new(TLS_client_method());
    REQUIRE(ctx != nullptr);
    if (files != nullptr) {
      REQUIRE(
        SSL_CTX_use_certificate_chain_file(ctx, files->certificate.c_str())
        == 1);
      REQUIRE(
        SSL_CTX_use_PrivateKey_file(ctx, files->key.c_str(), SSL_FILETYPE_PEM)
        == 1);
    }
    REQUIRE(SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) == 1);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    fd = raw_connect(port);
    REQUIRE(fd >= 0);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
  }

  ~raw_tls_client() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0)
      ::close(fd);
    ERR_clear_error();
  }

  bool handshake() {
    return SSL_connect(ssl) == 1;
  }

  bool write(const std::vector<char>& buf) {
    return SSL_write(ssl, buf.data(), static_cast<int>(buf.size()))
           == static_cast<int>(buf.size());
  }

  /// Reads exactly `n` bytes; false on close, error or timeout.
  bool read_exactly(std::vector<char>& out, size_t n) {
    out.resize(n);
    size_t got = 0;
    while (got < n) {
      auto r = SSL_read(ssl, out.data() + got, static_cast<int>(n - got));
      if (r <= 0)
        return false;
      got += static_cast<size_t>(r);
    }
    return true;
  }

  /// Reads one whole BASP frame (header and payload); false on failure.
  bool read_frame(std::vector<char>& hdr, std::vector<char>& payload) {
    if (!read_exactly(hdr, 32))
      return false;
    auto len = (uint32_t{static_cast<unsigned char>(hdr[4])} << 24)
               | (uint32_t{static_cast<unsigned char>(hdr[5])} << 16)
               | (uint32_t{static_cast<unsigned char>(hdr[6])} << 8)
               | uint32_t{static_cast<unsigned char>(hdr[7])};
    return read_exactly(payload, len);
  }

  /// Reads until the server closes the connection (true) or the receive
  /// timeout passes (false); counts the bytes read.
  bool closed_by_server(size_t& bytes) {
    char buf[4096];
    for (;;) {
      auto r = SSL_read(ssl, buf, sizeof(buf));
      if (r > 0) {
        bytes += static_cast<size_t>(r);
        continue;
      }
      auto err = SSL_get_error(ssl, r);
      if (err == SSL_ERROR_ZERO_RETURN)
        return true;
      if (err == SSL_ERROR_SYSCALL)
        return errno != EAGAIN && errno != EWOULDBLOCK;
      return err == SSL_ERROR_SSL;
    }
  }
};

/// Sends a ~4 GiB header from a raw client and checks what a node must do:
/// close the connection at once, allocate nothing for it, keep serving.
template <class Send>
void check_oversized_frame_refused(node& server, Send send_header) {
  auto mark = server.logs->mark();
  auto before = rss_bytes();
  send_header();
  auto after = rss_bytes();
  INFO("RSS grew by " << (after - before) / 1024 << " KiB");
  CHECK(after < before + 64 * 1024 * 1024);
  CHECK(server.logs->wait_for("announces 4294967040 bytes", 5s, mark));
  INFO(server.logs->all());
  CHECK(server.logs->wait_for("127.0.0.1:", 5s, mark));
}

} // namespace

/// A value that serializes as CAF's builtin byte buffer (`@charbuf`)
/// announcing 0xFFFFFFFF bytes, and sends none of them: what a hostile
/// peer writes to make a node allocate 4 GiB.
struct charbuf_liar {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, charbuf_liar&) {
  if constexpr (std::is_base_of_v<caf::data_processor<Inspector>, Inspector>) {
    size_t claimed = 0xFFFFFFFF;
    return f.begin_sequence(claimed);
  } else {
    return f(caf::meta::type_name("charbuf_liar"));
  }
}

/// A value that serializes as CAF's builtin `@config_value` with a variant
/// type index no `config_value` has: CAF 0.17's decoder throws on it.
struct config_value_liar {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, config_value_liar&) {
  if constexpr (std::is_base_of_v<caf::data_processor<Inspector>, Inspector>) {
    uint8_t type_index = 200;
    return f(type_index);
  } else {
    return f(caf::meta::type_name("config_value_liar"));
  }
}

// -- frame limit
// ---------------------------------------------------------------

TEST_CASE("a raw TCP client announcing a 4 GiB BASP frame is disconnected "
          "before the node allocates it") {
  node server;
  check_oversized_frame_refused(server, [&] {
    auto fd = raw_connect(server.port);
    REQUIRE(fd >= 0);
    REQUIRE(send_all(fd, basp_header(client_handshake_op, 4294967040u)));
    CHECK(closed_within(fd, 5s));
    ::close(fd);
  });
  check_still_serves(server, 7);
}

TEST_CASE("a TLS client with a valid certificate announcing a 4 GiB BASP "
          "frame is disconnected before the node allocates it") {
  auto& c = certs();
  node server{c.files("n1")};
  check_oversized_frame_refused(server, [&] {
    auto alice = c.files("alice");
    raw_tls_client raw{server.port, &alice, alice.ca};
    REQUIRE(raw.handshake());
    // The server speaks first: its BASP handshake proves we got through.
    std::vector<char> hdr, payload;
    REQUIRE(raw.read_frame(hdr, payload));
    // A complete BASP handshake as node "4242", then a huge message.
    caf::node_id::default_data::host_id_type host{};
    host.fill(7);
    auto fake = caf::make_node_id(4242, host);
    auto hs = client_handshake_frame(*server.sys, fake);
    REQUIRE_FALSE(hs.empty());
    REQUIRE(raw.write(hs));
    REQUIRE(
      raw.write(basp_header(direct_message_op, 4294967040u, server.echo.id())));
    size_t bytes = 0;
    CHECK(raw.closed_by_server(bytes));
  });
  node client{c.files("alice"), false};
  auto out = call_echo(client, server, int32_t{7});
  INFO(show(out));
  REQUIRE(out);
  CHECK(*out == 7);
}

// -- authentication
// ------------------------------------------------------------

TEST_CASE("a CAF peer whose message claims a 4 GiB byte buffer in a small "
          "frame makes the node allocate nothing and keeps it serving") {
  node server;
  REQUIRE(server.echo_ready());
  // A plain CAF node whose `charbuf_liar` goes out under the builtin name
  // `@charbuf`, which the server decodes as std::vector<char>.
  node attacker{std::nullopt, false, 2, [](caf::actor_system_config& cfg) {
                  cfg.add_message_type<charbuf_liar>("@charbuf");
                }};
  auto remote = transport_remote_actor(*attacker.sys, attacker.transport,
                                       "127.0.0.1", server.port, 10s);
  REQUIRE(remote);
  auto before = rss_bytes();
  reset_peak_rss();
  caf::scoped_actor self{*attacker.sys};
  for (int i = 0; i < 4; ++i)
    self->send(*remote, charbuf_liar{});
  // The node still serves (through the same connection), after every lie
  // reached it: BASP delivers in order.
  int32_t answer = 0;
  self->request(*remote, 10s, int32_t{7})
    .receive([&](int32_t x) { answer = x; }, [&](caf::error&) {});
  CHECK(answer == 7);
  // The peak, not the end: a buffer allocated and freed again would be
  // gone from the resident set by now.
  auto peak_kib = peak_rss_kib();
  INFO("peak RSS " << peak_kib << " KiB, before " << before / 1024 << " KiB");
  CHECK(peak_kib > 0);
  CHECK(peak_kib * 1024 < before + 64 * 1024 * 1024);
  // No lie reached the echo actor as a message.
  CHECK(server.echoed->load() == 2);
}

TEST_CASE("a CAF peer sending a config_value that CAF cannot decode is "
          "disconnected and the node keeps serving") {
  node server;
  REQUIRE(server.echo_ready());
  auto mark = server.logs->mark();
  {
    node attacker{std::nullopt, false, 2, [](caf::actor_system_config& cfg) {
                    cfg.add_message_type<config_value_liar>("@config_value");
                  }};
    auto remote = transport_remote_actor(*attacker.sys, attacker.transport,
                                         "127.0.0.1", server.port, 10s);
    REQUIRE(remote);
    caf::anon_send(*remote, config_value_liar{});
    CHECK(server.logs->wait_for("names the type @config_value", 10s, mark));
  }
  // CAF alone would have thrown inside BASP and ended the process here.
  check_still_serves(server, 5);
}

TEST_CASE("a CAF peer sending a type CAF decodes but the allowlist does not "
          "name is disconnected and the node keeps serving") {
  node server;
  REQUIRE(server.echo_ready());
  auto mark = server.logs->mark();
  {
    // A plain CAF node: `long double` is a builtin every CAF node decodes
    // (from text, in CAF 0.17), which no route needs from a peer.
    node attacker{std::nullopt, false};
    auto remote = transport_remote_actor(*attacker.sys, attacker.transport,
                                         "127.0.0.1", server.port, 10s);
    REQUIRE(remote);
    caf::anon_send(*remote, static_cast<long double>(1.5));
    CHECK(server.logs->wait_for(
      "a message names the type @ldouble, which this node does not decode",
      10s, mark));
  }
  check_still_serves(server, 5);
  // The echo actor saw the readiness probe and the call, nothing else.
  CHECK(server.echoed->load() == 2);
}

TEST_CASE("a raw TCP client whose BASP handshake names a uri node id with "
          "a bad host variant is disconnected and the node keeps serving") {
  node server;
  REQUIRE(server.echo_ready());
  auto mark = server.logs->mark();
  // A node id of CAF's `uri` kind: the atom "uri", an empty scheme and
  // userinfo, then a host variant index no alternative has. CAF 0.17 throws
  // decoding it, in BASP and in the transport's own handshake reading.
  std::vector<char> payload;
  caf::binary_serializer sink{*server.sys, payload};
  REQUIRE_FALSE(sink(caf::atom("uri")));
  payload.insert(payload.end(), {0, 0, static_cast<char>(200)});
  auto frame
    = basp_header(client_handshake_op, static_cast<uint32_t>(payload.size()));
  frame.insert(frame.end(), payload.begin(), payload.end());
  auto fd = raw_connect(server.port);
  REQUIRE(fd >= 0);
  REQUIRE(send_all(fd, frame));
  CHECK(closed_within(fd, 5s));
  ::close(fd);
  CHECK(server.logs->wait_for("a message names the type caf::uri (a node id)",
                              5s, mark));
  check_still_serves(server, 9);
}

TEST_CASE("a TLS client with a certificate from another CA never reaches "
          "the published actor") {
  auto& c = certs();
  node server{c.files("n1")};
  {
    auto rogue = c.files("rogue");
    raw_tls_client raw{server.port, &rogue, c.files("n1").ca};
    // The rogue may think its handshake done (TLS 1.3), but the server
    // refuses it and sends no BASP byte.
    if (raw.handshake()) {
      size_t bytes = 0;
      CHECK(raw.closed_by_server(bytes));
      CHECK(bytes == 0);
    }
  }
  node client{c.files("rogue", "ca1"), false};
  auto out = call_echo(client, server, int32_t{7}, 5s);
  CHECK_FALSE(out);
  CHECK(*server.echoed == 0);
  CHECK(server.ids->size() == 0);
}

TEST_CASE("a TLS client without a certificate never reaches the published "
          "actor") {
  auto& c = certs();
  node server{c.files("n1")};
  raw_tls_client raw{server.port, nullptr, c.files("n1").ca};
  if (raw.handshake()) {
    size_t bytes = 0;
    CHECK(raw.closed_by_server(bytes));
    CHECK(bytes == 0);
  }
  CHECK(*server.echoed == 0);
  CHECK(server.ids->size() == 0);
}

TEST_CASE("a TLS client that never finishes its handshake does not make "
          "the node spin") {
  auto& c = certs();
  node server{c.files("n1")};
  // Nothing from the node's start-up may fall into the measured interval.
  REQUIRE(server.echo_ready());
  auto fd = raw_connect(server.port);
  REQUIRE(fd >= 0);
  // Wait until the server has accepted it (and written its BASP handshake
  // into a TLS session still waiting for our ClientHello).
  auto deadline = steady::now() + 5s;
  while (server.accepted_fds().empty() && steady::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE(server.accepted_fds().size() == 1);
  auto idle = cpu_share_over(500ms);
  INFO("CPU share " << idle);
  CHECK(idle < 0.2);
  ::close(fd);
  // And the node still serves a proper client.
  node client{c.files("alice"), false};
  auto out = call_echo(client, server, int32_t{5});
  INFO(show(out));
  REQUIRE(out);
  CHECK(*out == 5);
}

// -- identities
// ----------------------------------------------------------------

TEST_CASE("the identity table maps a TLS peer's node id to its certificate's "
          "common name") {
  auto& c = certs();
  node server{c.files("n1")};
  std::optional<node> client{std::in_place, c.files("alice"), false};
  auto out = call_echo(*client, server, int32_t{3});
  INFO(show(out));
  REQUIRE(out);
  CHECK(server.ids->subject_of(client->sys->node()) == "alice");
  CHECK(client->ids->subject_of(server.sys->node()) == "n1");
  // Gone with the connection.
  auto client_node = client->sys->node();
  client.reset();
  auto deadline = steady::now() + 10s;
  while (server.ids->subject_of(client_node) && steady::now() < deadline)
    std::this_thread::sleep_for(10ms);
  CHECK_FALSE(server.ids->subject_of(client_node));
}

TEST_CASE("a TLS peer whose handshake claims a node id bound to another "
          "certificate is disconnected") {
  auto& c = certs();
  node server{c.files("n1")};
  node alice{c.files("alice"), false};
  REQUIRE(call_echo(alice, server, int32_t{3}));
  REQUIRE(server.ids->subject_of(alice.sys->node()) == "alice");
  // Mallory holds a valid certificate and replays alice's node id.
  auto frame = client_handshake_frame(*alice.sys, alice.sys->node());
  REQUIRE_FALSE(frame.empty());
  auto mark = server.logs->mark();
  auto mallory = c.files("mallory");
  raw_tls_client raw{server.port, &mallory, mallory.ca};
  REQUIRE(raw.handshake());
  std::vector<char> hdr, payload;
  REQUIRE(raw.read_frame(hdr, payload));
  REQUIRE(raw.write(frame));
  size_t bytes = 0;
  CHECK(raw.closed_by_server(bytes));
  CHECK(server.logs->wait_for("is bound to \"alice\"", 5s, mark));
  CHECK(server.ids->subject_of(alice.sys->node()) == "alice");
}

// -- request and reply
// ---------------------------------------------------------

namespace {

void check_round_trips(node& server, node& client) {
  auto out = call_echo(client, server, int32_t{42});
  INFO(show(out));
  REQUIRE(out);
  CHECK(*out == 42);
  // A frame just under max_frame passes, both ways.
  std::string big(test_max_frame - 4096, 'x');
  auto big_out = call_echo(client, server, big);
  INFO(show(big_out));
  REQUIRE(big_out);
  CHECK(*big_out == big);
  // One just over it closes the connection instead.
  auto mark = server.logs->mark();
  std::string huge(test_max_frame + 4096, 'x');
  auto huge_out = call_echo(client, server, huge, 3s);
  CHECK_FALSE(huge_out);
  CHECK(server.logs->wait_for("max_frame is 1048576", 5s, mark));
}

} // namespace

TEST_CASE("request and reply work over TCP through the transport on both "
          "sides up to max_frame") {
  node server;
  node client{std::nullopt, false};
  check_round_trips(server, client);
}

TEST_CASE("request and reply work over TLS through the transport on both "
          "sides up to max_frame") {
  auto& c = certs();
  node server{c.files("n1")};
  node client{c.files("alice"), false};
  check_round_trips(server, client);
}

TEST_CASE("transport_remote_actor gives up on a listener that accepts and "
          "never speaks within its timeout") {
  // A listener nobody serves: the kernel completes the connect, no BASP
  // handshake ever comes.
  auto listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(listener >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
          == 0);
  REQUIRE(::listen(listener, 16) == 0);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len)
          == 0);
  node client{std::nullopt, false};
  auto started = steady::now();
  auto remote = transport_remote_actor(
    *client.sys, client.transport, "127.0.0.1", ntohs(addr.sin_port), 500ms);
  auto took = steady::now() - started;
  CHECK_FALSE(remote);
  CHECK(took < 3s);
  ::close(listener);
}

// -- fd numbers
// ----------------------------------------------------------------

TEST_CASE("two connections accepted in a row get different fd numbers") {
  node server;
  auto accept_one = [&]() -> int {
    auto before = server.accepted_fds().size();
    auto fd = raw_connect(server.port);
    REQUIRE(fd >= 0);
    auto deadline = steady::now() + 5s;
    while (server.accepted_fds().size() == before && steady::now() < deadline)
      std::this_thread::sleep_for(1ms);
    REQUIRE(server.accepted_fds().size() == before + 1);
    auto server_fd = server.accepted_fds().back();
    // Close, and wait until the server has closed its end too.
    ::close(fd);
    auto path = "/proc/self/fd/" + std::to_string(server_fd);
    struct stat st;
    while (::lstat(path.c_str(), &st) == 0 && steady::now() < deadline)
      std::this_thread::sleep_for(1ms);
    return server_fd;
  };
  auto first = accept_one();
  auto path = "/proc/self/fd/" + std::to_string(first);
  struct stat st;
  // Fails only if something else took the number meanwhile; then the test
  // proves nothing, so say so.
  REQUIRE(::lstat(path.c_str(), &st) != 0);
  auto second = accept_one();
  CHECK(first != second);
}

// CAF 0.17 tells actor systems of one process apart by one byte of their
// node id, which wraps after 256: the clients of the cycles run in child
// processes (another pid, so other node ids), each at most 150 in a row.
// This hidden test case is such a child.
TEST_CASE("transport client process: SB_TRANSPORT_CYCLES calls to the echo "
          "actor at SB_TRANSPORT_ECHO_PORT, each from a fresh actor system",
          "[.]") {
  auto port = std::getenv("SB_TRANSPORT_ECHO_PORT");
  auto cycles = std::getenv("SB_TRANSPORT_CYCLES");
  REQUIRE(port != nullptr);
  REQUIRE(cycles != nullptr);
  auto n = std::stoi(cycles);
  REQUIRE(n <= 150);
  node server_stub{std::nullopt, false, 1};
  server_stub.port = static_cast<uint16_t>(std::stoi(port));
  int lost = 0;
  std::string first_error;
  for (int i = 0; i < n; ++i) {
    node client{std::nullopt, false, 1};
    auto out = call_echo(client, server_stub, int32_t{i}, 5s);
    if (!out || *out != i) {
      ++lost;
      if (first_error.empty())
        first_error = show(out);
    }
  }
  INFO(first_error);
  CHECK(lost == 0);
}

namespace {

/// Starts this test binary's hidden client test case against `port` in a
/// child process, for `cycles` calls; returns its pid (or -1).
pid_t start_client_process(uint16_t port, int cycles) {
  // Everything the child needs is made before fork: it only calls dup2 and
  // execve.
  auto port_env = "SB_TRANSPORT_ECHO_PORT=" + std::to_string(port);
  auto cycles_env = "SB_TRANSPORT_CYCLES=" + std::to_string(cycles);
  std::string name = "mesh_tests";
  std::string test = "transport client process: SB_TRANSPORT_CYCLES calls to "
                     "the echo actor at SB_TRANSPORT_ECHO_PORT*";
  char* argv[] = {name.data(), test.data(), nullptr};
  std::vector<char*> envp;
  for (auto e = environ; *e != nullptr; ++e)
    envp.push_back(*e);
  envp.push_back(port_env.data());
  envp.push_back(cycles_env.data());
  envp.push_back(nullptr);
  auto quiet = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  auto pid = fork();
  if (pid == 0) {
    if (quiet >= 0) {
      dup2(quiet, STDOUT_FILENO);
      dup2(quiet, STDERR_FILENO);
    }
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  if (quiet >= 0)
    ::close(quiet);
  return pid;
}

/// Waits for a client process until `deadline` (then kills it); true if its
/// call succeeded.
bool client_process_passed(pid_t pid, steady::time_point deadline) {
  if (pid < 0)
    return false;
  int status = 0;
  for (;;) {
    auto r = waitpid(pid, &status, WNOHANG);
    if (r == pid)
      return WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (steady::now() >= deadline) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      return false;
    }
    std::this_thread::sleep_for(1ms);
  }
}

} // namespace

TEST_CASE("300 sequential connect-request-disconnect cycles lose no "
          "reply") {
  node server;
  CHECK(client_process_passed(start_client_process(server.port, 150),
                              steady::now() + 25s));
  CHECK(client_process_passed(start_client_process(server.port, 150),
                              steady::now() + 25s));
  CHECK(*server.echoed == 300);
}

TEST_CASE("raise_fd_limit lifts the soft fd limit to the hard one") {
  rlimit lim{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  auto lowered = lim;
  lowered.rlim_cur = std::min<rlim_t>(lim.rlim_max, 512);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &lowered) == 0);
  REQUIRE(switchboard::raise_fd_limit());
  REQUIRE(getrlimit(RLIMIT_NOFILE, &lim) == 0);
  CHECK(lim.rlim_cur == lim.rlim_max);
}

TEST_CASE("rotate_fd moves a socket off a just-closed fd number") {
  auto a = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(a >= 0);
  auto moved_a = rotate_fd(a);
  REQUIRE(moved_a >= 0);
  // The original number is closed and the socket lives on under the new one.
  CHECK(fcntl(a, F_GETFD) == -1);
  int type = 0;
  socklen_t len = sizeof(type);
  CHECK(getsockopt(moved_a, SOL_SOCKET, SO_TYPE, &type, &len) == 0);
  CHECK(type == SOCK_STREAM);
  ::close(moved_a);
  // The kernel hands out the lowest free number again; rotation does not.
  auto b = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(b >= 0);
  auto moved_b = rotate_fd(b);
  CHECK(moved_b != moved_a);
  ::close(moved_b);
}

// -- fd exhaustion
// -------------------------------------------------------------

TEST_CASE("a listener out of file descriptors does not spin and serves "
          "again once some are free") {
  node server;
  node client{std::nullopt, false};
  // One call first, so that every code path the squeeze runs has run once.
  REQUIRE(call_echo(client, server, int32_t{1}));
  rlimit original{};
  REQUIRE(getrlimit(RLIMIT_NOFILE, &original) == 0);
  REQUIRE(original.rlim_cur >= 512);
  // Client sockets made before the squeeze, parked on high numbers.
  std::vector<int> clients;
  for (int i = 0; i < 16; ++i) {
    auto s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(s >= 0);
    auto high
      = fcntl(s, F_DUPFD_CLOEXEC, static_cast<int>(original.rlim_cur) - 64);
    REQUIRE(high >= 0);
    ::close(s);
    clients.push_back(high);
  }
  // Squeeze: a lower limit, every number under it taken.
  rlimit squeezed = original;
  squeezed.rlim_cur = 256;
  REQUIRE(setrlimit(RLIMIT_NOFILE, &squeezed) == 0);
  std::vector<int> fillers;
  for (;;) {
    auto f = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (f < 0)
      break;
    fillers.push_back(f);
  }
  // From here until the release, no Catch macro: sanitizers (and Catch)
  // may need a descriptor to report anything.
  auto mark = server.logs->mark();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(server.port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  size_t connected = 0;
  for (auto s : clients)
    if (::connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0)
      ++connected;
  auto logged = server.logs->wait_for("EMFILE", 5s, mark);
  // CPU time of the whole process over half a second of wall time.
  auto share = cpu_share_over(500ms);
  // Every parked client was turned away.
  size_t turned_away = 0;
  for (auto s : clients) {
    if (closed_within(s, 5s))
      ++turned_away;
    ::close(s);
  }
  // Release: a new client is served.
  for (auto f : fillers)
    ::close(f);
  REQUIRE(setrlimit(RLIMIT_NOFILE, &original) == 0);
  CHECK(connected == clients.size());
  CHECK(logged);
  INFO("CPU share " << share);
  CHECK(share < 0.2);
  CHECK(turned_away == clients.size());
  node fresh{std::nullopt, false};
  auto out = call_echo(fresh, server, int32_t{9});
  INFO(show(out));
  REQUIRE(out);
  CHECK(*out == 9);
}
