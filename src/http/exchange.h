// HttpExchange: one HTTP request and its response, as the gateway sees it — plain types, no
// Beast. The server (http/server.cpp) implements it over a connection; tests can implement it in
// memory. Responses are either whole (respond) or streamed with chunked encoding
// (begin_stream, write_chunk..., end_stream).
// Threads: used only on the loop that owns the connection.
#pragma once

#include <charconv>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/asio.h"

namespace accord {

// Spare bytes kept after a request body so simdjson can parse it in place (SIMDJSON_PADDING;
// gateway/request_body.cpp checks the two agree).
constexpr size_t kJsonPadding = 64;

// Headers beyond Content-Type/Content-Length, preformatted as "Name: value\r\n" lines. The
// first few hundred bytes live inline (no allocation for the usual handful of headers).
class HeaderLines {
 public:
  HeaderLines() = default;
  HeaderLines(const HeaderLines& other) { append(other.text()); }
  HeaderLines& operator=(const HeaderLines& other) {
    if (this != &other) {
      clear();
      append(other.text());
    }
    return *this;
  }

  void add(std::string_view name, std::string_view value) {
    append(name);
    append(": ");
    append(value);
    append("\r\n");
  }
  void add(std::string_view name, int64_t value) {
    char digits[24];
    add(name, std::string_view(digits,
                               std::to_chars(digits, digits + sizeof digits, value).ptr - digits));
  }
  void clear() {
    size_ = 0;
    overflow_.clear();
  }
  std::string_view text() const {
    return overflow_.empty() ? std::string_view(inline_, size_) : std::string_view(overflow_);
  }

 private:
  void append(std::string_view s) {
    if (overflow_.empty() && size_ + s.size() <= sizeof inline_) {
      s.copy(inline_ + size_, s.size());
      size_ += s.size();
      return;
    }
    if (overflow_.empty()) overflow_.assign(inline_, size_);
    overflow_.append(s);
  }

  char inline_[384];
  size_t size_ = 0;
  std::string overflow_;
};

// What a handler keeps for the life of one connection, between the requests it carries.
class ConnectionMemo {
 public:
  virtual ~ConnectionMemo() = default;
};

class HttpExchange {
 public:
  virtual ~HttpExchange() = default;

  // The request.
  virtual std::string_view method() const = 0;
  virtual std::string_view target() const = 0;  // path and query, as sent
  // A header's value ("" when absent); names are matched without regard to case.
  virtual std::string_view header(std::string_view name) const = 0;
  // The body, with SIMDJSON_PADDING bytes of spare capacity for in-place JSON parsing.
  virtual std::string& body() = 0;
  virtual std::string_view peer_address() const = 0;

  // The response. Each returns false when the client has gone; the caller stops then.
  virtual asio::awaitable<bool> respond(int status, std::string_view content_type,
                                        std::string_view body, const HeaderLines& headers) = 0;
  virtual asio::awaitable<bool> begin_stream(int status, std::string_view content_type,
                                             const HeaderLines& headers) = 0;
  // As begin_stream, but the head is held back to go out with the first chunk (or the end): one
  // write instead of two. Whether the client is still there shows at that write.
  virtual void hold_stream_head(int status, std::string_view content_type,
                                const HeaderLines& headers) = 0;
  virtual asio::awaitable<bool> write_chunk(std::string_view data) = 0;
  // The last chunk and the stream's end, in one write.
  virtual asio::awaitable<bool> write_last_chunk(std::string_view data) = 0;
  virtual asio::awaitable<bool> end_stream() = 0;
  // True once a status line has been written.
  virtual bool responded() const = 0;
  // Ask the server to close the connection after this response.
  virtual void close_after() = 0;
  // The connection's memo, for the handler to fill; nullptr where the exchange keeps none.
  virtual std::unique_ptr<ConnectionMemo>* memo() { return nullptr; }
};

}  // namespace accord
