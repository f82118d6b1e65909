#include "switchboard/detail/tls_session.hpp"

#include <csignal>
#include <ctime>
#include <utility>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>

namespace switchboard::detail {

namespace {

/// Blocks SIGPIPE on this thread while OpenSSL writes to a socket whose peer
/// may be gone, and discards a SIGPIPE raised meanwhile (as caf::openssl
/// does; OpenSSL's socket BIO does not pass MSG_NOSIGNAL).
class sigpipe_blocker {
public:
  sigpipe_blocker() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    ok_ = pthread_sigmask(SIG_BLOCK, &pipe_, &saved_) == 0;
  }

  ~sigpipe_blocker() {
    if (!ok_)
      return;
    timespec zero{};
    sigtimedwait(&pipe_, nullptr, &zero);
    pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
  }

  sigpipe_blocker(const sigpipe_blocker&) = delete;
  sigpipe_blocker& operator=(const sigpipe_blocker&) = delete;

private:
  sigset_t pipe_;
  sigset_t saved_;
  bool ok_;
};

std::string last_ssl_error() {
  std::string msg;
  while (auto err = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(err, buf, sizeof(buf));
    if (!msg.empty())
      msg += "; ";
    msg += buf;
  }
  return msg.empty() ? "unknown OpenSSL error" : msg;
}

} // namespace

std::string subject_common_name(const SSL* ssl) {
  auto cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr)
    return {};
  std::string result;
  if (auto name = X509_get_subject_name(cert)) {
    auto idx = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
    if (idx >= 0) {
      auto entry = X509_NAME_get_entry(name, idx);
      auto data = X509_NAME_ENTRY_get_data(entry);
      unsigned char* utf8 = nullptr;
      auto len = ASN1_STRING_to_UTF8(&utf8, data);
      if (len > 0)
        result.assign(reinterpret_cast<char*>(utf8), static_cast<size_t>(len));
      OPENSSL_free(utf8);
    }
  }
  X509_free(cert);
  // A name with an embedded NUL is no identity.
  if (result.find('\0') != std::string::npos)
    return {};
  return result;
}

// -- tls_context --------------------------------------------------------------

std::shared_ptr<tls_context> tls_context::make(const std::string& certificate,
                                               const std::string& key,
                                               const std::string& ca,
                                               std::string& error) {
  auto ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) {
    error = "cannot create an OpenSSL context: " + last_ssl_error();
    return nullptr;
  }
  std::shared_ptr<tls_context> result{new tls_context(ctx)};
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  if (SSL_CTX_use_certificate_chain_file(ctx, certificate.c_str()) != 1) {
    error = "cannot load certificate " + certificate + ": " + last_ssl_error();
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key.c_str(), SSL_FILETYPE_PEM) != 1
      || SSL_CTX_check_private_key(ctx) != 1) {
    error = "cannot load private key " + key + ": " + last_ssl_error();
    return nullptr;
  }
  if (SSL_CTX_load_verify_locations(ctx, ca.c_str(), nullptr) != 1) {
    error = "cannot load CA file " + ca + ": " + last_ssl_error();
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                     nullptr);
  if (SSL_CTX_set_cipher_list(ctx, "HIGH:!aNULL:!MD5") != 1) {
    error = "cannot set the cipher list: " + last_ssl_error();
    return nullptr;
  }
  return result;
}

tls_context::~tls_context() {
  SSL_CTX_free(ctx_);
}

// -- tls_session --------------------------------------------------------------

std::unique_ptr<tls_session>
tls_session::make(const std::shared_ptr<tls_context>& ctx, int fd,
                  bool server) {
  if (!ctx)
    return nullptr;
  auto ssl = SSL_new(ctx->native());
  if (ssl == nullptr)
    return nullptr;
  std::unique_ptr<tls_session> result{new tls_session(ctx, ssl)};
  if (SSL_set_fd(ssl, fd) != 1)
    return nullptr;
  if (server)
    SSL_set_accept_state(ssl);
  else
    SSL_set_connect_state(ssl);
  if (result->handshake(false, 1) == rw_state::failure)
    return nullptr;
  return result;
}

tls_session::tls_session(std::shared_ptr<tls_context> ctx, SSL* ssl)
  : ctx_(std::move(ctx)), ssl_(ssl) {
  // nop
}

tls_session::~tls_session() {
  SSL_free(ssl_);
}

tls_session::rw_state tls_session::check(int ret, bool writing, size_t len) {
  switch (SSL_get_error(ssl_, ret)) {
  case SSL_ERROR_WANT_READ:
    // Stop asking for write events while OpenSSL waits for the peer.
    if (writing && len == 0)
      return rw_state::indeterminate;
    return rw_state::success;
  case SSL_ERROR_WANT_WRITE:
    return rw_state::success;
  default:
    ERR_clear_error();
    return rw_state::failure;
  }
}

tls_session::rw_state tls_session::handshake(bool writing, size_t len) {
  sigpipe_blocker blocker;
  auto ret = SSL_do_handshake(ssl_);
  if (ret != 1)
    return check(ret, writing, len);
  peer_subject_ = subject_common_name(ssl_);
  if (peer_subject_.empty())
    return rw_state::failure; // fail closed: no name, no identity
  handshaking_ = false;
  return rw_state::indeterminate;
}

tls_session::rw_state tls_session::read_some(size_t& result, void* buf,
                                             size_t len) {
  result = 0;
  if (handshaking_) {
    auto st = handshake(false, len);
    if (st != rw_state::indeterminate)
      return st;
  }
  if (!flush_pending())
    return rw_state::failure;
  if (len == 0)
    return rw_state::indeterminate;
  sigpipe_blocker blocker;
  auto ret = SSL_read(ssl_, buf, static_cast<int>(len));
  if (ret > 0) {
    result = static_cast<size_t>(ret);
    return rw_state::success;
  }
  return check(ret, false, len);
}

tls_session::rw_state tls_session::write_some(size_t& result, const void* buf,
                                              size_t len) {
  result = 0;
  if (handshaking_) {
    auto st = handshake(true, len);
    if (st == rw_state::failure)
      return st;
    if (st == rw_state::success) {
      // Still handshaking. While OpenSSL waits for the peer, the socket stays
      // writable: keep the data here (reported as written, so the stream
      // stops polling for writes instead of spinning) and send it once the
      // handshake completes.
      if (len > 0 && SSL_want_read(ssl_)
          && pending_.size() + len <= max_pending) {
        auto first = static_cast<const char*>(buf);
        pending_.insert(pending_.end(), first, first + len);
        result = len;
      }
      return st;
    }
  }
  if (!flush_pending())
    return rw_state::failure;
  if (!pending_.empty())
    return rw_state::success; // the socket is full; try again when writable
  if (len == 0)
    return rw_state::indeterminate;
  sigpipe_blocker blocker;
  auto ret = SSL_write(ssl_, buf, static_cast<int>(len));
  if (ret > 0) {
    result = static_cast<size_t>(ret);
    return rw_state::success;
  }
  return check(ret, true, len);
}

bool tls_session::flush_pending() {
  if (pending_.empty())
    return true;
  sigpipe_blocker blocker;
  auto ret
    = SSL_write(ssl_, pending_.data(), static_cast<int>(pending_.size()));
  if (ret > 0) {
    pending_.erase(pending_.begin(), pending_.begin() + ret);
    return true;
  }
  return check(ret, true, pending_.size()) != rw_state::failure;
}

bool tls_session::must_read_more(size_t threshold) const {
  return static_cast<size_t>(SSL_pending(ssl_)) >= threshold;
}

} // namespace switchboard::detail
