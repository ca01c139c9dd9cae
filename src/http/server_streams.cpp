#include "http/server_streams.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>

namespace accord {

namespace ssl = boost::asio::ssl;

asio::awaitable<size_t> TlsStream::read_some(asio::mutable_buffer buffer, error_code& ec) {
  const size_t n = co_await stream_.async_read_some(buffer, use_ec(ec));
  // A client that closes without close_notify (most do once they have their answer) ends the
  // connection as one that sent it does.
  if (ec == ssl::error::stream_truncated) ec = asio::error::eof;
  co_return n;
}

asio::awaitable<void> TlsStream::write_gathered(error_code& ec) {
  co_await asio::async_write(stream_, asio::buffer(out_), use_ec(ec));
}

asio::awaitable<error_code> TlsStream::handshake() {
  error_code ec;
  co_await stream_.async_handshake(ssl::stream_base::server, use_ec(ec));
  co_return ec;
}

bool TlsStream::is_plain_http(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_HTTP_REQUEST;
}

asio::awaitable<void> TlsStream::write_plain(std::string_view response) {
  error_code ec;
  co_await asio::async_write(stream_.next_layer(), asio::buffer(response.data(), response.size()),
                             use_ec(ec));
}

asio::awaitable<void> TlsStream::close_notify() {
  // As if the client's close_notify had come: SSL_shutdown then sends ours and is done.
  SSL_set_shutdown(stream_.native_handle(), SSL_RECEIVED_SHUTDOWN);
  error_code ec;
  co_await stream_.async_shutdown(use_ec(ec));
}

}  // namespace accord
