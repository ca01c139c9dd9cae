// One client connection of the HTTP server (http/server.cpp, the only file that includes this):
// the Connection template over its byte stream (PlainStream or TlsStream, http/server_streams.h),
// which reads requests, hands them to the handler as an HttpExchange and writes the answers,
// whole or chunked; and the per-loop and per-server state connections share with the listener.
// Threads: a connection lives on one event loop and is only touched there.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>

#include <charconv>
#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "core/strings.h"
#include "http/connection_gate.h"
#include "http/http1_parser.h"
#include "http/openai_error.h"
#include "http/parse_buffered.h"
#include "http/request_parser.h"
#include "http/server.h"
#include "http/server_streams.h"
#include "http/status_text.h"
#include "runtime/deadline_sweeper.h"
#include "runtime/memory_trim.h"

namespace accord {
namespace server_detail {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

// "1A2\r\n": a chunk's size line, in `out`.
inline std::string_view chunk_size_line(char (&out)[24], size_t size) {
  char* end = std::to_chars(out, out + 16, size, 16).ptr;
  end[0] = '\r';
  end[1] = '\n';
  return {out, static_cast<size_t>(end + 2 - out)};
}

// Connection-token check ("close", "keep-alive") in a comma-separated header value.
inline bool has_token(std::string_view value, std::string_view token) {
  bool found = false;
  for_each_token(value, [&](std::string_view t) { found = found || iequals(t, token); });
  return found;
}

constexpr size_t kMaxIdleBufferBytes = size_t{16} * 1024;
constexpr size_t kIdleReadBytes = 4096;
constexpr size_t kMessageReadBytes = size_t{64} * 1024;
constexpr MonoNanos kSweepPeriodNs = 250 * kNanosPerMilli;

// What a drain needs of an open connection, whatever stream it runs over.
class OpenConnection {
 public:
  virtual void close_if_idle() = 0;

 protected:
  ~OpenConnection() = default;
};

// Per-loop state: the sweeper for deadlines and the open connections (for drain).
struct LoopState {
  explicit LoopState(asio::io_context& io) : io(io), sweeper(io, kSweepPeriodNs) {}
  asio::io_context& io;
  DeadlineSweeper sweeper;
  std::optional<tcp::acceptor> acceptor;
  std::unordered_set<OpenConnection*> connections;
};

}  // namespace server_detail

struct HttpServer::Impl {
  Impl(EventLoops& l, HttpHandler& h, ServerLimits lim, ListenerTls* t, HttpServer& s)
      : loops(l),
        handler(h),
        limits(lim),
        tls(t),
        server(s),
        gate(lim.max_connections, lim.max_connections_per_ip) {}
  EventLoops& loops;
  HttpHandler& handler;
  ServerLimits limits;
  ListenerTls* tls;  // null: plain HTTP
  HttpServer& server;
  ConnectionGate gate;
  MemoryTrimmer trimmer;
  std::vector<std::unique_ptr<server_detail::LoopState>> states;
};

namespace server_detail {

// One client connection over `Stream` (http/server_streams.h): PlainStream or TlsStream.
template <class Stream>
class Connection final : public HttpExchange, public DeadlineSweeper::Entry, public OpenConnection {
 public:
  enum class Phase : uint8_t { kIdle, kReadingHead, kReadingBody, kHandling };

  // `stream_args` follow the socket into Stream's constructor.
  template <class... StreamArgs>
  Connection(HttpServer::Impl& server, LoopState& loop, std::string peer, tcp::socket socket,
             StreamArgs&&... stream_args)
      : stream_(std::move(socket), std::forward<StreamArgs>(stream_args)...),
        server_(server),
        loop_(loop),
        peer_(std::move(peer)) {}

  asio::awaitable<void> run();
  void close_if_idle() override {
    if (phase_ == Phase::kIdle) close_socket();
  }

  // HttpExchange
  std::string_view method() const override { return req_.method; }
  std::string_view target() const override { return req_.target; }
  std::string_view header(std::string_view name) const override { return req_.header(name); }
  std::string& body() override { return req_.body; }
  std::string_view peer_address() const override { return peer_; }
  std::unique_ptr<ConnectionMemo>* memo() override { return &memo_; }
  asio::awaitable<bool> respond(int status, std::string_view content_type, std::string_view body,
                                const HeaderLines& headers) override;
  asio::awaitable<bool> begin_stream(int status, std::string_view content_type,
                                     const HeaderLines& headers) override;
  void hold_stream_head(int status, std::string_view content_type,
                        const HeaderLines& headers) override;
  asio::awaitable<bool> write_chunk(std::string_view data) override;
  asio::awaitable<bool> write_last_chunk(std::string_view data) override;
  asio::awaitable<bool> end_stream() override;
  bool responded() const override { return responded_; }
  void close_after() override { close_after_ = true; }

  // DeadlineSweeper::Entry
  void on_deadline() override {
    timed_out_ = true;
    error_code ignored;
    stream_.socket().cancel(ignored);
  }

 private:
  void write_head(int status, std::string_view content_type, const HeaderLines& headers);
  void write_stream_head(int status, std::string_view content_type, const HeaderLines& headers);
  // The held stream head, once ("" when there is none).
  std::string_view take_held_head() {
    if (!head_held_) return {};
    head_held_ = false;
    return head_;
  }
  asio::awaitable<bool> write_buffers(std::string_view a, std::string_view b = {},
                                      std::string_view c = {}, std::string_view d = {});
  asio::awaitable<void> reject(const Error& error);
  // TLS: the handshake, under the header deadline; false when it failed (and the connection is
  // done). A client that spoke plain HTTP is told so, in plain HTTP.
  asio::awaitable<bool> handshake();
  // Reads and parses until `parser` has the head (`head_only`) or the whole message.
  asio::awaitable<error_code> read_message(Http1Parser& parser, bool head_only);
  bool should_close() const { return close_after_ || server_.server.draining() || !keep_alive_; }
  void close_socket() {
    error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }
  // The connection is done: out of the loop's lists, its socket closed.
  void leave() {
    loop_.connections.erase(this);
    loop_.sweeper.remove(this);
    close_socket();
  }
  void set_deadline_in(int64_t ms) {
    set_deadline(SystemClock::coarse_now() + ms * kNanosPerMilli);
  }

  Stream stream_;
  HttpServer::Impl& server_;
  LoopState& loop_;
  std::string peer_;
  beast::flat_buffer buffer_;
  RequestData req_;
  std::string head_;
  std::unique_ptr<ConnectionMemo> memo_;
  Phase phase_ = Phase::kIdle;
  bool keep_alive_ = true;
  bool close_after_ = false;
  bool responded_ = false;
  bool head_held_ = false;  // a stream's head, not yet written (hold_stream_head)
  bool chunked_ = false;
  bool timed_out_ = false;
};

template <class Stream>
asio::awaitable<void> Connection<Stream>::run() {
  loop_.sweeper.add(this);
  loop_.connections.insert(this);
  const ServerLimits& limits = server_.limits;
  ServerStats& stats = const_cast<ServerStats&>(server_.server.stats());
  error_code ec;
  bool first = true;
  if constexpr (Stream::kTls) {
    if (!co_await handshake()) {
      leave();
      co_return;
    }
  }
  while (!server_.server.draining() || first) {
    req_.clear();
    responded_ = close_after_ = chunked_ = timed_out_ = head_held_ = false;
    // Wait for the next request without holding a parser, under the idle deadline.
    if (buffer_.size() == 0) {
      phase_ = Phase::kIdle;
      set_deadline_in(first ? limits.header_timeout_ms : limits.idle_timeout_ms);
      if (buffer_.capacity() > kMaxIdleBufferBytes) buffer_.shrink_to_fit();
      // A read, not async_wait: Asio re-arms epoll (a syscall) for every wait, while a read
      // after one that drained the socket just waits for the next edge.
      const size_t n = co_await stream_.read_some(buffer_.prepare(kIdleReadBytes), ec);
      buffer_.commit(n);
      if (ec || !stream_.socket().is_open()) break;
    }
    first = false;
    phase_ = Phase::kReadingHead;
    set_deadline_in(limits.header_timeout_ms);
    Http1Parser parser(Http1Parser::Kind::kRequest, req_);
    parser.header_limit(static_cast<size_t>(limits.max_header_bytes));
    parser.body_limit(static_cast<uint64_t>(limits.max_body_bytes));
    parser.body_sink(&req_.body, kJsonPadding);
    ec = co_await read_message(parser, true);
    if (ec) {
      if (ec == bhttp::error::end_of_stream || ec == asio::error::eof ||
          ec == asio::error::connection_reset) {
        break;
      }
      stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      if (timed_out_) {
        co_await reject(Error::client(ErrorKind::kRequestTimeout,
                                      "The request headers were not received in time."));
      } else if (ec == bhttp::error::body_limit) {  // a Content-Length over the limit
        co_await reject(Error::client(ErrorKind::kPayloadTooLarge,
                                      fmt::format("The request body exceeds the limit of {} "
                                                  "bytes.",
                                                  limits.max_body_bytes)));
      } else if (ec == bhttp::error::header_limit) {
        co_await reject(Error::client(ErrorKind::kHeadersTooLarge,
                                      fmt::format("The request headers exceed the limit of {} "
                                                  "bytes.",
                                                  limits.max_header_bytes)));
      } else if (stream_.socket().is_open()) {
        co_await reject(Error::client(ErrorKind::kInvalidRequest,
                                      fmt::format("Malformed HTTP request: {}.", ec.message())));
      }
      break;
    }
    keep_alive_ = parser.keep_alive();
    // Refuse an oversized body from the headers alone, before reading any of it.
    if (auto length = parser.content_length();
        length && *length > static_cast<uint64_t>(limits.max_body_bytes)) {
      stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
      co_await reject(Error::client(ErrorKind::kPayloadTooLarge,
                                    fmt::format("The request body ({} bytes) exceeds the limit of "
                                                "{} bytes.",
                                                *length, limits.max_body_bytes)));
      break;
    }
    if (!parser.is_done()) {
      if (has_token(req_.header("expect"), "100-continue") && req_.version >= 11) {
        if (!co_await write_buffers("HTTP/1.1 100 Continue\r\n\r\n")) break;
      }
      phase_ = Phase::kReadingBody;
      set_deadline_in(limits.body_timeout_ms);
      ec = co_await read_message(parser, false);
      if (ec) {
        stats.protocol_errors.fetch_add(1, std::memory_order_relaxed);
        if (ec == bhttp::error::body_limit) {
          co_await reject(Error::client(ErrorKind::kPayloadTooLarge,
                                        fmt::format("The request body exceeds the limit of {} "
                                                    "bytes.",
                                                    limits.max_body_bytes)));
        } else if (timed_out_) {
          co_await reject(Error::client(ErrorKind::kRequestTimeout,
                                        "The request body was not received in time."));
        } else if (stream_.socket().is_open() && ec != bhttp::error::partial_message) {
          co_await reject(
              Error::client(ErrorKind::kInvalidRequest,
                            fmt::format("Malformed HTTP request body: {}.", ec.message())));
        }
        break;
      }
    }
    phase_ = Phase::kHandling;
    clear_deadline();
    stats.requests_total.fetch_add(1, std::memory_order_relaxed);
    stats.active_requests.fetch_add(1, std::memory_order_relaxed);
    co_await server_.handler.handle(*this);
    if (!responded_ && stream_.socket().is_open()) {
      co_await reject(Error::internal(ErrorKind::kInternal, "The request was not answered."));
    }
    if (head_held_) close_socket();  // a stream that never wrote anything: no whole response
    stats.active_requests.fetch_sub(1, std::memory_order_relaxed);
    if (should_close() || !stream_.socket().is_open()) break;
  }
  if constexpr (Stream::kTls) {
    if (stream_.socket().is_open()) stream_.close_notify();
  }
  leave();
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::handshake() {
  set_deadline_in(server_.limits.header_timeout_ms);
  const error_code ec = co_await stream_.handshake();
  if (!ec) co_return true;
  ServerStats& stats = const_cast<ServerStats&>(server_.server.stats());
  stats.tls_handshake_failures.fetch_add(1, std::memory_order_relaxed);
  if (Stream::is_plain_http(ec) && stream_.socket().is_open()) {
    const Error error = Error::client(ErrorKind::kInvalidRequest,
                                      "This port speaks HTTPS: plain HTTP was sent to it. Use "
                                      "https:// in the URL.");
    const std::string body = openai_error_body(error);
    const std::string response = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        http_status(error.kind), status_reason(http_status(error.kind)), body.size(), body);
    co_await stream_.write_plain(response);
  }
  co_return false;
}

template <class Stream>
asio::awaitable<error_code> Connection<Stream>::read_message(Http1Parser& parser, bool head_only) {
  error_code ec = parse_buffered(parser, buffer_, head_only);
  while (!ec && !(head_only ? parser.is_header_done() : parser.is_done())) {
    // Room for what is missing, up to kMessageReadBytes a read; the parser has used what it could
    // of the buffer, so what remains is an incomplete head or a chunk's size line.
    const size_t room =
        std::clamp(buffer_.capacity() - buffer_.size(), kIdleReadBytes, kMessageReadBytes);
    const size_t n = co_await stream_.read_some(buffer_.prepare(room), ec);
    buffer_.commit(n);
    if (ec == asio::error::eof) {
      parser.put_eof(ec);  // the message was cut off (or never began: end_of_stream)
      break;
    }
    if (ec) break;
    ec = parse_buffered(parser, buffer_, head_only);
  }
  co_return ec;
}

template <class Stream>
void Connection<Stream>::write_head(int status, std::string_view content_type,
                                    const HeaderLines& headers) {
  head_.clear();
  head_.append(req_.version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
  char digits[4] = {static_cast<char>('0' + status / 100),
                    static_cast<char>('0' + status / 10 % 10), static_cast<char>('0' + status % 10),
                    ' '};
  head_.append(digits, 4);
  head_.append(status_reason(status));
  head_.append("\r\n");
  if (!content_type.empty()) {
    head_.append("Content-Type: ");
    head_.append(content_type);
    head_.append("\r\n");
  }
  head_.append(headers.text());
  if (should_close()) {
    head_.append("Connection: close\r\n");
  } else if (req_.version == 10) {
    head_.append("Connection: keep-alive\r\n");
  }
  responded_ = true;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::write_buffers(std::string_view a, std::string_view b,
                                                        std::string_view c, std::string_view d) {
  const std::array<asio::const_buffer, 4> buffers{
      asio::buffer(a.data(), a.size()), asio::buffer(b.data(), b.size()),
      asio::buffer(c.data(), c.size()), asio::buffer(d.data(), d.size())};
  error_code ec;
  co_await stream_.write(buffers, ec);
  if (ec) {
    close_socket();
    co_return false;
  }
  co_return true;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::respond(int status, std::string_view content_type,
                                                  std::string_view body,
                                                  const HeaderLines& headers) {
  write_head(status, content_type, headers);
  head_.append("Content-Length: ");
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, body.size()).ptr;
  head_.append(digits, end);
  head_.append("\r\n\r\n");
  // Written here rather than through write_buffers(): one coroutine frame less per response.
  const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_.data(), head_.size()),
                                                  asio::buffer(body.data(), body.size())};
  error_code ec;
  co_await stream_.write(buffers, ec);
  if (ec) {
    close_socket();
    co_return false;
  }
  co_return true;
}

template <class Stream>
void Connection<Stream>::write_stream_head(int status, std::string_view content_type,
                                           const HeaderLines& headers) {
  write_head(status, content_type, headers);
  if (req_.version >= 11) {
    chunked_ = true;
    head_.append("Transfer-Encoding: chunked\r\n");
  } else {
    close_after_ = true;  // HTTP/1.0: the end of the body is the end of the connection
  }
  head_.append("Cache-Control: no-cache\r\n\r\n");
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::begin_stream(int status, std::string_view content_type,
                                                       const HeaderLines& headers) {
  write_stream_head(status, content_type, headers);
  co_return co_await write_buffers(head_);
}

template <class Stream>
void Connection<Stream>::hold_stream_head(int status, std::string_view content_type,
                                          const HeaderLines& headers) {
  write_stream_head(status, content_type, headers);
  head_held_ = true;
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::write_chunk(std::string_view data) {
  if (data.empty()) {
    co_return stream_.socket().is_open();
  }
  const std::string_view head = take_held_head();
  if (!chunked_) {
    co_return co_await write_buffers(head, data);
  }
  char size_line[24];
  co_return co_await write_buffers(head, chunk_size_line(size_line, data.size()), data, "\r\n");
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::write_last_chunk(std::string_view data) {
  const std::string_view head = take_held_head();
  if (!chunked_) {
    close_after_ = true;  // HTTP/1.0: the stream ends with the connection
    if (head.empty() && data.empty()) co_return stream_.socket().is_open();
    co_return co_await write_buffers(head, data);
  }
  if (data.empty()) {
    co_return co_await write_buffers(head, "0\r\n\r\n");
  }
  char size_line[24];
  co_return co_await write_buffers(head, chunk_size_line(size_line, data.size()), data,
                                   "\r\n0\r\n\r\n");
}

template <class Stream>
asio::awaitable<bool> Connection<Stream>::end_stream() {
  co_return co_await write_last_chunk({});
}

template <class Stream>
asio::awaitable<void> Connection<Stream>::reject(const Error& error) {
  close_after_ = true;
  HeaderLines none;
  const std::string body = openai_error_body(error);
  co_await respond(http_status(error.kind), "application/json", body, none);
}

}  // namespace server_detail
}  // namespace accord
