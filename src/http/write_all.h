// write_all(): writes to a socket without a trip through the event loop when the socket takes the
// bytes at once — the usual case for a response or a request on a connection whose send buffer has
// room. Asio's async_write also tries the write at once, but then posts its completion to the loop:
// the coroutine waits for the next turn of the loop, and that turn polls epoll (a syscall) before
// it runs. The socket must be in non-blocking mode (socket.non_blocking(true)).
// Threads: on the loop that owns the socket, with no other write pending on it.
#pragma once

#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>

#include "runtime/asio.h"

namespace accord {

// Writes all of `buffers`: what the socket takes now without waiting, the rest through Asio.
template <class Buffers>
asio::awaitable<void> write_all(tcp::socket& socket, const Buffers& buffers, error_code& ec) {
  const size_t total = asio::buffer_size(buffers);
  size_t written = socket.write_some(buffers, ec);
  if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
  if (ec || written == total) co_return;
  boost::beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(written);
  co_await asio::async_write(socket, rest, use_ec(ec));
}

}  // namespace accord
