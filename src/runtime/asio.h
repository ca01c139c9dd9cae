// The one way to include Asio: Boost 1.74 with -std=c++20 needs <utility> first (std::exchange).
#pragma once

#include <utility>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace accord {
namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
// An awaitable's completion token that reports errors in `ec` instead of throwing.
inline auto use_ec(error_code& ec) {
  return asio::redirect_error(asio::use_awaitable, ec);
}
}  // namespace accord
