#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <caf/io/network/rw_state.hpp>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace switchboard::detail {

/// The subject commonName of the certificate the peer of `ssl` presented
/// (its identity); empty without a certificate, a name, or for a name with
/// an embedded NUL.
std::string subject_common_name(const SSL* ssl);

/// An OpenSSL context for mutually authenticated TLS: it presents
/// `certificate`/`key`, trusts only the CA in `ca`, and requires the peer's
/// certificate in both directions (a server refuses clients without one).
///
/// It does not check host names: any certificate signed by the CA is a
/// valid peer, and its subject commonName is the peer's identity. Immutable
/// after creation; shared by all sessions of a transport.
class tls_context {
public:
  /// Loads the files; returns nullptr and sets `error` when one fails.
  static std::shared_ptr<tls_context> make(const std::string& certificate,
                                           const std::string& key,
                                           const std::string& ca,
                                           std::string& error);

  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  SSL_CTX* native() const noexcept {
    return ctx_;
  }

private:
  explicit tls_context(SSL_CTX* ctx) : ctx_(ctx) {
    // nop
  }
  SSL_CTX* ctx_;
};

/// One non-blocking TLS connection over a socket the caller owns, with the
/// interface of a CAF 0.17 stream policy (`read_some`, `write_some`,
/// `must_read_more`), like `caf::openssl::session` but with access to the
/// peer's certificate.
///
/// The handshake (SSL_accept / SSL_connect) is driven by the first reads and
/// writes; `peer_subject` is set once it completes. Data written while the
/// handshake waits for the peer (up to 64 KiB) is kept and sent by the read
/// that completes it, so a peer that never finishes its handshake does not
/// make the multiplexer poll a writable socket in a loop, as
/// caf::openssl::session does. It does not close the socket. Not thread-safe:
/// used on the multiplexer thread only.
class tls_session {
public:
  using rw_state = caf::io::network::rw_state;

  /// A session on `fd`, accepting when `server` is true, else connecting.
  /// Returns nullptr when SSL_new or the first handshake step fails.
  static std::unique_ptr<tls_session>
  make(const std::shared_ptr<tls_context>& ctx, int fd, bool server);

  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  rw_state read_some(size_t& result, void* buf, size_t len);

  rw_state write_some(size_t& result, const void* buf, size_t len);

  bool must_read_more(size_t threshold) const;

  /// Whether the TLS handshake has completed.
  bool established() const noexcept {
    return !handshaking_;
  }

  /// The peer certificate's subject commonName; empty before the handshake
  /// completes.
  const std::string& peer_subject() const noexcept {
    return peer_subject_;
  }

private:
  tls_session(std::shared_ptr<tls_context> ctx, SSL* ssl);

  /// Advances the handshake; returns failure, or success while it goes on
  /// (the caller then reports 0 bytes), or indeterminate once done.
  rw_state handshake(bool writing, size_t len);

  rw_state check(int ret, bool writing, size_t len);

  /// Sends data kept back during the handshake; false on a TLS failure.
  bool flush_pending();

  /// Most bytes kept back while the handshake waits for the peer.
  static constexpr size_t max_pending = 64 * 1024;

  std::shared_ptr<tls_context> ctx_;
  SSL* ssl_;
  bool handshaking_ = true;
  std::string peer_subject_;
  std::vector<char> pending_;
};

} // namespace switchboard::detail
