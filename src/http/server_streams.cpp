#include "http/server_streams.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <cstring>

namespace accord {
namespace {

// What one read from the socket takes at first: a request's records (as PlainStream's idle read).
// A read that fills the buffer makes the next one larger, up to kMaxReadBytes (a large body); a
// small one brings it back.
constexpr size_t kReadBytes = 4096;
constexpr size_t kMaxReadBytes = size_t{64} * 1024;
// A gathered response larger than this is not kept for the next one.
constexpr size_t kMaxKeptOutBytes = size_t{64} * 1024;

// The error OpenSSL queued, as Asio's ssl::stream reports it (its category, its packed code).
error_code ssl_error_code() {
  const unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (e == 0) return asio::error::connection_reset;
  return error_code(static_cast<int>(e), asio::error::get_ssl_category());
}

// Clears this thread's OpenSSL error queue before an SSL call, whose SSL_get_error() reads it
// (another connection's error is not this call's). Looked at first: clearing an empty queue
// costs OpenSSL 3 more than the record's encryption.
void clear_stale_errors() {
  if (ERR_peek_error() != 0) ERR_clear_error();
}

// The method of TlsStream's reading BIO, made once.
BIO_METHOD* unread_method(int (*read)(BIO*, char*, int), long (*ctrl)(BIO*, int, long, void*)) {
  static BIO_METHOD* const method = [&] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "accord TLS input");
    if (m != nullptr) {
      BIO_meth_set_read(m, read);
      BIO_meth_set_ctrl(m, ctrl);
    }
    return m;
  }();
  return method;
}

}  // namespace

TlsStream::TlsStream(tcp::socket socket, std::shared_ptr<const TlsServerContext> context)
    : socket_(std::move(socket)), context_(std::move(context)), in_(kReadBytes) {
  ssl_ = SSL_new(context_->native().native_handle());
  BIO_METHOD* method = unread_method(&TlsStream::read_unread, &TlsStream::unread_ctrl);
  BIO* from_client = method != nullptr ? BIO_new(method) : nullptr;
  BIO* to_client = BIO_new_socket(static_cast<int>(socket_.native_handle()), BIO_NOCLOSE);
  if (ssl_ == nullptr || from_client == nullptr || to_client == nullptr) {
    BIO_free(from_client);
    BIO_free(to_client);
    failed_ = true;  // every call then fails: the connection ends at its handshake
    return;
  }
  BIO_set_data(from_client, this);
  BIO_set_init(from_client, 1);
  SSL_set0_rbio(ssl_, from_client);
  SSL_set0_wbio(ssl_, to_client);
  SSL_set_accept_state(ssl_);
}

int TlsStream::read_unread(BIO* bio, char* out, int size) {
  auto* self = static_cast<TlsStream*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  const size_t n = std::min(static_cast<size_t>(size), self->unread_end_ - self->unread_at_);
  if (n == 0) {
    BIO_set_retry_read(bio);  // more to come: OpenSSL says SSL_ERROR_WANT_READ
    return -1;
  }
  std::memcpy(out, self->in_.data() + self->unread_at_, n);
  self->unread_at_ += n;
  return static_cast<int>(n);
}

long TlsStream::unread_ctrl(BIO* bio, int command, long /*number*/, void* /*pointer*/) {
  const auto* self = static_cast<const TlsStream*>(BIO_get_data(bio));
  switch (command) {
    case BIO_CTRL_PENDING:
      return static_cast<long>(self->unread_end_ - self->unread_at_);
    case BIO_CTRL_FLUSH:
      return 1;
    default:
      return 0;
  }
}

TlsStream::~TlsStream() {
  if (ssl_ != nullptr) SSL_free(ssl_);  // and its BIOs
}

asio::awaitable<bool> TlsStream::serve_want(int result, error_code& ec) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ: {
      // OpenSSL has read all of in_: the next read may take another size.
      if (unread_end_ == in_.size() && in_.size() < kMaxReadBytes) {
        in_.resize(in_.size() * 4);
      } else if (unread_end_ < kReadBytes && in_.size() > kReadBytes) {
        in_.resize(kReadBytes);
        in_.shrink_to_fit();
      }
      unread_at_ = unread_end_ = 0;
      const size_t n = co_await socket_.async_read_some(asio::buffer(in_), use_ec(ec));
      if (ec) co_return false;  // the client's end without close_notify reads as eof, as it should
      unread_end_ = n;
      co_return true;
    }
    case SSL_ERROR_WANT_WRITE:
      co_await socket_.async_wait(tcp::socket::wait_write, use_ec(ec));
      co_return !ec;
    case SSL_ERROR_ZERO_RETURN:  // the client's close_notify
      ec = asio::error::eof;
      co_return false;
    case SSL_ERROR_SYSCALL: {
      const int error = errno;
      failed_ = true;
      ERR_clear_error();
      ec = error != 0 ? error_code(error, asio::error::get_system_category())
                      : error_code(asio::error::connection_reset);
      co_return false;
    }
    default:
      failed_ = true;
      ec = ssl_error_code();
      co_return false;
  }
}

asio::awaitable<error_code> TlsStream::handshake() {
  error_code ec;
  if (failed_) co_return asio::error::no_memory;
  for (;;) {
    clear_stale_errors();
    const int r = SSL_do_handshake(ssl_);
    if (r == 1) co_return ec;
    if (!co_await serve_want(r, ec)) co_return ec;
  }
}

asio::awaitable<size_t> TlsStream::read_some(asio::mutable_buffer buffer, error_code& ec) {
  for (;;) {
    clear_stale_errors();
    const int n = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (n > 0) co_return static_cast<size_t>(n);
    if (!co_await serve_want(n, ec)) co_return 0;
  }
}

asio::awaitable<void> TlsStream::write_gathered(error_code& ec) {
  // SSL_write with the same buffer again after a wait: OpenSSL keeps what it had written.
  for (;;) {
    clear_stale_errors();
    const int n = SSL_write(ssl_, out_.data(), static_cast<int>(out_.size()));
    if (n > 0 || !co_await serve_want(n, ec)) break;
  }
  if (out_.capacity() > kMaxKeptOutBytes) std::string().swap(out_);
}

bool TlsStream::is_plain_http(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

asio::awaitable<void> TlsStream::write_plain(std::string_view response) {
  error_code ec;
  co_await asio::async_write(socket_, asio::buffer(response.data(), response.size()), use_ec(ec));
}

void TlsStream::close_notify() {
  if (failed_ || SSL_is_init_finished(ssl_) != 1) return;
  ERR_clear_error();
  SSL_shutdown(ssl_);  // writes close_notify if the socket has room; never waits
  ERR_clear_error();
}

}  // namespace accord
