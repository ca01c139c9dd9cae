#include "http/server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <boost/asio/ip/v6_only.hpp>

#include <mutex>
#include <unordered_map>

#include "http/server_connection.h"

namespace accord {

using server_detail::Connection;
using server_detail::LoopState;
using server_detail::OpenConnection;

namespace {

// Runs a connection over `Stream` made from `socket` and `stream_args` on `loop` until it ends.
template <class Stream, class... StreamArgs>
void spawn_connection(HttpServer::Impl& server, LoopState& loop, const std::string& address,
                      tcp::socket socket, StreamArgs&&... stream_args) {
  ServerStats& stats = const_cast<ServerStats&>(server.server.stats());
  server.trimmer.opened(stats.open_connections.fetch_add(1, std::memory_order_relaxed) + 1);
  auto connection = std::make_shared<Connection<Stream>>(server, loop, address, std::move(socket),
                                                         std::forward<StreamArgs>(stream_args)...);
  asio::co_spawn(
      loop.io, [connection]() -> asio::awaitable<void> { co_await connection->run(); },
      [&server, &stats, address, connection](const std::exception_ptr& e) {
        server.trimmer.closed(stats.open_connections.fetch_sub(1, std::memory_order_relaxed) - 1);
        server.gate.release(address);
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& ex) {
            spdlog::error("connection from {} ended with an exception: {}", address, ex.what());
          }
        }
      });
}

asio::awaitable<void> accept_loop(HttpServer::Impl& server, LoopState& loop) {
  ServerStats& stats = const_cast<ServerStats&>(server.server.stats());
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await loop.acceptor->async_accept(use_ec(ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !loop.acceptor->is_open()) co_return;
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer pause(loop.io, std::chrono::milliseconds(50));  // e.g. out of descriptors
      co_await pause.async_wait(use_ec(ec));
      continue;
    }
    error_code peer_ec;
    const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
    const std::string address = peer_ec ? std::string("?") : peer.address().to_string();
    if (!server.gate.try_acquire(address)) {
      stats.refused_connections.fetch_add(1, std::memory_order_relaxed);
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    socket.non_blocking(true, ec);  // for write_all()
    if (server.tls != nullptr) {
      spawn_connection<TlsStream>(server, loop, address, std::move(socket), server.tls->current());
    } else {
      spawn_connection<PlainStream>(server, loop, address, std::move(socket));
    }
  }
}

}  // namespace

HttpServer::HttpServer(EventLoops& loops, HttpHandler& handler, ServerLimits limits,
                       ListenerTls* tls)
    : impl_(std::make_unique<Impl>(loops, handler, limits, tls, *this)) {
  for (int i = 0; i < loops.size(); ++i) {
    impl_->states.push_back(std::make_unique<LoopState>(loops.loop(i)));
  }
}

HttpServer::~HttpServer() = default;

Status HttpServer::listen(const std::string& address, uint16_t port) {
  error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) {
    return Error::internal(ErrorKind::kInternal, fmt::format("'{}' is not an IP address", address));
  }
  for (auto& state : impl_->states) {
    tcp::acceptor acceptor(state->io);
    const tcp::endpoint endpoint(ip, port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      const int one = 1;
      if (::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
        ec = error_code(errno, boost::system::system_category());
      }
    }
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      return Error::internal(ErrorKind::kInternal, fmt::format("cannot listen on {}:{}: {}",
                                                               address, port, ec.message()));
    }
    port = acceptor.local_endpoint().port();  // the other loops share the port picked first
    state->acceptor.emplace(std::move(acceptor));
  }
  port_ = port;
  for (auto& state : impl_->states) {
    LoopState* s = state.get();
    asio::post(s->io, [this, s] {
      s->sweeper.start();
      asio::co_spawn(s->io, accept_loop(*impl_, *s), asio::detached);
    });
  }
  return Status();
}

void HttpServer::begin_drain() {
  if (draining_.exchange(true)) return;
  for (auto& state : impl_->states) {
    LoopState* s = state.get();
    asio::post(s->io, [s] {
      error_code ignored;
      if (s->acceptor) s->acceptor->close(ignored);
      std::vector<OpenConnection*> open(s->connections.begin(), s->connections.end());
      for (OpenConnection* c : open) c->close_if_idle();
    });
  }
}

Result<std::pair<std::string, uint16_t>> parse_listen_address(const std::string& text) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) {
    return Error::client(ErrorKind::kInvalidRequest, fmt::format("'{}' is not ADDRESS:PORT", text));
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  unsigned port = 0;
  const std::string_view p = std::string_view(text).substr(colon + 1);
  const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
  if (ec != std::errc() || end != p.data() + p.size() || port > 65535) {
    return Error::client(ErrorKind::kInvalidRequest, fmt::format("'{}' is not a port", p));
  }
  return std::make_pair(host, static_cast<uint16_t>(port));
}

}  // namespace accord
