#include "http/client.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <limits>
#include <optional>
#include <unordered_map>
#include <vector>

#include "core/strings.h"
#include "http/http1_parser.h"
#include "http/parse_buffered.h"
#include "http/tls_client.h"
#include "http/tls_session_cache.h"
#include "http/write_all.h"

namespace accord {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;

namespace {

constexpr int64_t kIdleConnectionMs = 30'000;  // below the usual server keep-alive timeouts
// Reads take max(512, free capacity) bytes at a time: without room reserved, a streamed answer
// arrives in 512-byte reads, each relayed with its own write.
constexpr size_t kReadBufferBytes = size_t{16} * 1024;

MonoNanos after_ms(int64_t ms) {
  return SystemClock::coarse_now() + ms * kNanosPerMilli;
}

Error upstream_error(std::string message, bool retryable) {
  return Error::upstream(ErrorKind::kUpstreamError, std::move(message), retryable);
}

}  // namespace

struct IdleList;

class ClientConnection final : public DeadlineSweeper::Entry {
 public:
  // `sweeper` is shared: a connection may outlive its pool when the coroutine holding it is
  // destroyed as its loop shuts down.
  ClientConnection(asio::io_context& io, std::shared_ptr<DeadlineSweeper> sweeper, std::string key)
      : socket(io), sweeper_(std::move(sweeper)), key(std::move(key)) {
    sweeper_->add(this);
    buffer.reserve(kReadBufferBytes);
  }
  ~ClientConnection() override {
    sweeper_->remove(this);
    close();
  }

  void on_deadline() override {
    timed_out = true;
    close();
  }
  void close() {
    error_code ignored;
    socket.close(ignored);
  }

  tcp::socket socket;
  // TLS on `socket` (declared after it, so destroyed before it); empty for plain HTTP.
  std::optional<ssl::stream<tcp::socket&>> tls;
  std::string tls_out;  // a TLS request's head and body, staged for one record
  std::shared_ptr<DeadlineSweeper> sweeper_;
  std::string key;           // "host:port"
  IdleList* home = nullptr;  // where give_back() keeps it (set by send())
  beast::flat_buffer buffer;
  Http1Head head;
  std::string body;  // reused by ClientResponse::buffer()
  std::optional<Http1Parser> parser;
  ClientTimeouts timeouts;
  bool timed_out = false;
};

// A target's idle connections. Its address is stable (a map node, never erased), so a connection
// goes back to it without a lookup.
struct IdleList {
  std::vector<std::unique_ptr<ClientConnection>> connections;
  size_t max = 64;
};

struct HttpClientPool::Impl {
  Impl(asio::io_context& io, std::shared_ptr<DeadlineSweeper> sweeper)
      : io(io), sweeper(std::move(sweeper)), resolver(io) {}
  asio::io_context& io;
  std::shared_ptr<DeadlineSweeper> sweeper;
  tcp::resolver resolver;
  // The TLS sessions to resume, by connection key (declared before `idle`: its connections go
  // first).
  std::unordered_map<std::string, TlsSessionCache> sessions;
  std::unordered_map<std::string, IdleList> idle;
  std::unordered_map<std::string, tcp::resolver::results_type> resolved;
  std::atomic<uint64_t> tls_handshakes{0};
  std::atomic<uint64_t> tls_resumed{0};
  // The last target's list: a loop's requests mostly go to the same few upstreams, so a string
  // comparison usually replaces a hash and a lookup.
  const std::string* last_key = nullptr;
  IdleList* last_list = nullptr;

  IdleList& idle_list(const std::string& key) {
    if (last_list != nullptr && *last_key == key) return *last_list;
    auto& entry = *idle.try_emplace(key).first;
    last_key = &entry.first;
    last_list = &entry.second;
    return entry.second;
  }
};

ClientTarget make_client_target(std::string host, uint16_t port, size_t max_idle,
                                std::shared_ptr<const TlsClientContext> tls) {
  ClientTarget t;
  t.host_header = fmt::format("{}:{}", host, port);
  if (tls) t.connection_key = fmt::format("{}#tls{}", t.host_header, tls->id());
  t.host = std::move(host);
  t.port = port;
  t.max_idle = max_idle;
  t.tls = std::move(tls);
  return t;
}

namespace {

// The handshake on a connection just opened to `target`, within the connect timeout. A failure
// is logged: the client sees it too, but the operator must learn that a certificate is refused.
asio::awaitable<Status> handshake(ClientConnection& c, const ClientTarget& target,
                                  const ClientTimeouts& t, TlsSessionCache& sessions) {
  c.tls.emplace(c.socket, target.tls->native());
  std::string why;
  if (!TlsClientContext::expect_host(c.tls->native_handle(), target.host)) {
    why = fmt::format("'{}' cannot be checked against a certificate", target.host);
  } else {
    error_code ec;
    sessions.attach(c.tls->native_handle());
    c.set_deadline(after_ms(t.connect_ms));
    co_await c.tls->async_handshake(ssl::stream_base::client, use_ec(ec));
    c.clear_deadline();
    if (!ec) co_return Status();
    why = c.timed_out ? fmt::format("timed out after {} ms", t.connect_ms)
                      : TlsClientContext::describe_failure(c.tls->native_handle(), ec);
  }
  c.close();
  std::string message = fmt::format("TLS handshake with {} failed: {}", target.host_header, why);
  spdlog::warn("upstream {}", message);
  co_return upstream_error(std::move(message), true);
}

}  // namespace

HttpClientPool::HttpClientPool(asio::io_context& io, std::shared_ptr<DeadlineSweeper> sweeper)
    : impl_(std::make_unique<Impl>(io, std::move(sweeper))) {}

HttpClientPool::~HttpClientPool() = default;

size_t HttpClientPool::idle_connections() const {
  size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.connections.size();
  return n;
}

uint64_t HttpClientPool::tls_handshakes() const {
  return impl_->tls_handshakes.load(std::memory_order_relaxed);
}

uint64_t HttpClientPool::tls_resumed() const {
  return impl_->tls_resumed.load(std::memory_order_relaxed);
}

asio::awaitable<Result<std::unique_ptr<ClientConnection>>> HttpClientPool::connect(
    const ClientTarget& target, const ClientTimeouts& t) {
  if (target.tls && !target.tls->problem().empty()) {
    std::string message =
        fmt::format("TLS to {} is not set up: {}", target.host_header, target.tls->problem());
    spdlog::warn("upstream {}", message);
    co_return upstream_error(std::move(message), true);
  }
  error_code ec;
  auto it = impl_->resolved.find(target.host_header);
  if (it == impl_->resolved.end()) {
    auto results = co_await impl_->resolver.async_resolve(target.host, std::to_string(target.port),
                                                          use_ec(ec));
    if (ec) {
      co_return upstream_error(fmt::format("cannot resolve {}: {}", target.host, ec.message()),
                               true);
    }
    it = impl_->resolved.emplace(target.host_header, std::move(results)).first;
  }
  auto connection =
      std::make_unique<ClientConnection>(impl_->io, impl_->sweeper, target.host_header);
  connection->set_deadline(after_ms(t.connect_ms));
  co_await asio::async_connect(connection->socket, it->second, use_ec(ec));
  connection->clear_deadline();
  if (ec) {
    impl_->resolved.erase(target.host_header);  // re-resolve next time
    if (connection->timed_out) {
      co_return upstream_error(
          fmt::format("connecting to {} timed out after {} ms", target.host_header, t.connect_ms),
          true);
    }
    co_return upstream_error(
        fmt::format("cannot connect to {}: {}", target.host_header, ec.message()), true);
  }
  connection->socket.set_option(tcp::no_delay(true), ec);
  connection->socket.non_blocking(true, ec);  // for write_all()
  if (target.tls) {
    impl_->tls_handshakes.fetch_add(1, std::memory_order_relaxed);
    TlsSessionCache& sessions = impl_->sessions[target.connection_key];
    Status shaken = co_await handshake(*connection, target, t, sessions);
    if (!shaken.ok()) co_return shaken.take_error();
    if (SSL_session_reused(connection->tls->native_handle()) == 1) {
      impl_->tls_resumed.fetch_add(1, std::memory_order_relaxed);
    }
  }
  co_return connection;
}

namespace {

// How much to read: what the buffer has room for, at least 512 bytes.
size_t read_size(const beast::flat_buffer& buffer) {
  return std::max<size_t>(512, buffer.capacity() - buffer.size());
}

// The next read into the connection's buffer, through TLS when it has it. Not a coroutine: it
// hands back the operation to await, so a read costs no frame of its own.
asio::awaitable<size_t> read_more(ClientConnection& c, error_code& ec) {
  const auto into = c.buffer.prepare(read_size(c.buffer));
  if (c.tls) return c.tls->async_read_some(into, use_ec(ec));
  return c.socket.async_read_some(into, use_ec(ec));
}

// Writes a request through TLS: head and body staged together, so they go as one record (Asio
// would encrypt and send each buffer on its own). Not a coroutine either.
asio::awaitable<size_t> write_tls(ClientConnection& c, std::string_view head, std::string_view body,
                                  error_code& ec) {
  c.tls_out.assign(head);
  c.tls_out.append(body);
  return asio::async_write(*c.tls, asio::buffer(c.tls_out), use_ec(ec));
}

// After a read from the socket (`n` bytes, `ec`): hands the parser what arrived. The end of the
// stream ends a body that runs to the close; anywhere else it is an error.
error_code take_read(ClientConnection& c, size_t n, error_code ec, bool head_only) {
  c.buffer.commit(n);
  // A TLS peer that closes without close_notify (many do): the end of the stream all the same.
  if (ec == ssl::error::stream_truncated) ec = asio::error::eof;
  if (ec == asio::error::eof) {
    c.parser->put_eof(ec);  // end_of_stream when nothing came, partial_message when cut off
    return ec;
  }
  if (ec) return ec;
  return parse_buffered(*c.parser, c.buffer, head_only);
}

// A response cut off by `ec` (or by the idle deadline): the connection cannot be reused.
Error broken_off(ClientConnection& c, error_code ec) {
  c.close();
  if (c.timed_out) {
    return Error::upstream(ErrorKind::kUpstreamTimeout,
                           fmt::format("{} sent nothing for {} ms", c.key, c.timeouts.idle_ms),
                           false);
  }
  return upstream_error(fmt::format("{} broke off the response: {}", c.key, ec.message()), false);
}

}  // namespace

asio::awaitable<Result<ClientResponse>> HttpClientPool::send(const ClientTarget& target,
                                                             std::string_view head,
                                                             std::string_view body,
                                                             const ClientTimeouts& timeouts) {
  IdleList& idle =
      impl_->idle_list(target.connection_key.empty() ? target.host_header : target.connection_key);
  idle.max = target.max_idle;
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<ClientConnection> connection;
    while (!idle.connections.empty() && !connection) {
      connection = std::move(idle.connections.back());
      idle.connections.pop_back();
      if (!connection->socket.is_open()) connection.reset();
    }
    const bool reused = connection != nullptr;
    if (!connection) {
      auto connected = co_await connect(target, timeouts);
      if (!connected.ok()) co_return connected.take_error();
      connection = std::move(connected.value());
    }
    connection->home = &idle;
    connection->timeouts = timeouts;
    connection->timed_out = false;
    connection->head.clear();
    connection->parser.emplace(Http1Parser::Kind::kResponse, connection->head);
    connection->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    connection->parser->header_limit(size_t{64} * 1024);
    connection->set_deadline(after_ms(timeouts.first_byte_ms));
    error_code ec;
    if (connection->tls) {
      co_await write_tls(*connection, head, body, ec);
    } else {
      const std::array<asio::const_buffer, 2> buffers{asio::buffer(head.data(), head.size()),
                                                      asio::buffer(body.data(), body.size())};
      co_await write_all(connection->socket, buffers, ec);
    }
    while (!ec && !connection->parser->is_header_done()) {
      const size_t n = co_await read_more(*connection, ec);
      ec = take_read(*connection, n, ec, true);
    }
    connection->clear_deadline();
    if (!ec) {
      connection->body.clear();
      co_return ClientResponse(std::move(connection), *this);
    }
    // A kept-alive connection the server has closed meanwhile: once more on a new one.
    if (reused && attempt == 0 && !connection->timed_out &&
        (ec == asio::error::eof || ec == bhttp::error::end_of_stream ||
         ec == asio::error::connection_reset || ec == asio::error::broken_pipe)) {
      continue;
    }
    if (connection->timed_out) {
      co_return Error::upstream(ErrorKind::kUpstreamTimeout,
                                fmt::format("{} sent no response within {} ms", target.host_header,
                                            timeouts.first_byte_ms),
                                false);
    }
    co_return upstream_error(
        fmt::format("{} failed before responding: {}", target.host_header, ec.message()), true);
  }
}

void HttpClientPool::give_back(std::unique_ptr<ClientConnection> connection) {
  IdleList& list = *connection->home;
  if (list.connections.size() >= list.max) return;  // closed by its destructor
  connection->parser.reset();
  if (connection->buffer.capacity() > size_t{16} * 1024) connection->buffer.shrink_to_fit();
  if (connection->body.capacity() > size_t{64} * 1024) std::string().swap(connection->body);
  if (connection->tls_out.capacity() > size_t{64} * 1024) std::string().swap(connection->tls_out);
  connection->set_deadline(after_ms(kIdleConnectionMs));
  list.connections.push_back(std::move(connection));
}

ClientResponse::ClientResponse(std::unique_ptr<ClientConnection> connection, HttpClientPool& pool)
    : connection_(std::move(connection)), pool_(&pool) {}

ClientResponse::ClientResponse(ClientResponse&& other) noexcept
    : connection_(std::move(other.connection_)), pool_(other.pool_) {}

ClientResponse::~ClientResponse() {
  if (connection_ && connection_->socket.is_open() && connection_->parser &&
      connection_->parser->is_done() && connection_->parser->keep_alive() &&
      connection_->buffer.size() == 0) {
    pool_->give_back(std::move(connection_));
  }
}

std::string& ClientResponse::buffer() {
  return connection_->body;
}

int ClientResponse::status() const {
  return connection_->head.status;
}

std::string_view ClientResponse::header(std::string_view name) const {
  return connection_->head.headers.get(name);
}

bool ClientResponse::body_complete() const {
  return connection_->parser->is_done();
}

void ClientResponse::cancel() {
  connection_->close();
}

asio::awaitable<Result<bool>> ClientResponse::read_some(std::string& out) {
  ClientConnection& c = *connection_;
  Http1Parser& parser = *c.parser;
  parser.body_sink(&out);
  const size_t before = out.size();
  error_code ec = parse_buffered(parser, c.buffer, false);  // what came with the head
  while (!ec && !parser.is_done() && out.size() == before) {
    c.set_deadline(after_ms(c.timeouts.idle_ms));
    const size_t n = co_await read_more(c, ec);
    c.clear_deadline();
    ec = take_read(c, n, ec, false);
  }
  parser.body_sink(nullptr);
  if (ec) co_return broken_off(c, ec);
  co_return !parser.is_done();
}

asio::awaitable<Status> ClientResponse::read_all(std::string& out, size_t limit) {
  // Its own loop rather than read_some(): one coroutine frame less per response.
  ClientConnection& c = *connection_;
  Http1Parser& parser = *c.parser;
  parser.body_sink(&out);
  error_code ec = parse_buffered(parser, c.buffer, false);  // what came with the head
  while (!ec && !parser.is_done() && out.size() <= limit) {
    c.set_deadline(after_ms(c.timeouts.idle_ms));
    const size_t n = co_await read_more(c, ec);
    c.clear_deadline();
    ec = take_read(c, n, ec, false);
  }
  parser.body_sink(nullptr);
  if (ec) co_return broken_off(c, ec);
  if (out.size() > limit) {
    c.close();
    co_return upstream_error(fmt::format("the response exceeds {} bytes", limit), false);
  }
  co_return Status();
}

}  // namespace accord
