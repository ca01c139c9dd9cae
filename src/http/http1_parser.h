// Http1Parser: accord's own HTTP/1.1 message parser (RFC 9112), for the requests the server
// reads and the responses the upstream client reads. It replaces Beast's basic_parser on the hot
// path: one pass over the head that finds the line ends and checks every byte, the fields copied
// flat into buffers the connection reuses (no per-field allocation, no field-name hashing), the
// body (Content-Length, chunked, or to the close) appended to a string the caller owns.
// Strict where leniency is a risk: CRLF line ends only, no control characters in values, no
// whitespace before a field's colon, Content-Length and Transfer-Encoding together refused in a
// request, differing Content-Lengths refused; an obs-fold becomes a space (RFC 9112 §5.2).
// Errors are Beast's http::error codes, so callers and their messages stay as they were.
// Threads: one parser per message, used by one thread.
#pragma once

#include <boost/beast/http/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/strings.h"
#include "runtime/asio.h"

namespace accord {

// A message's header fields, names and values back to back in one buffer the connection reuses.
struct HeaderFields {
  std::string text;
  struct Field {
    uint32_t name_at, name_len, value_at, value_len;
  };
  std::vector<Field> fields;

  void clear() {
    text.clear();
    fields.clear();
  }
  // The first value of field `name` (matched without regard to case); "" when absent.
  std::string_view get(std::string_view name) const {
    for (const Field& f : fields) {
      if (iequals(std::string_view(text).substr(f.name_at, f.name_len), name)) {
        return std::string_view(text).substr(f.value_at, f.value_len);
      }
    }
    return {};
  }
};

// What a parser fills in from a message's head.
struct Http1Head {
  std::string method;  // requests
  std::string target;  // requests
  int status = 0;      // responses
  int version = 11;    // 10 or 11
  HeaderFields headers;

  void clear() {
    method.clear();
    target.clear();
    status = 0;
    version = 11;
    headers.clear();
  }
};

class Http1Parser {
 public:
  enum class Kind { kRequest, kResponse };

  Http1Parser(Kind kind, Http1Head& head) : kind_(kind), head_(head) {}

  void header_limit(size_t bytes) { header_limit_ = bytes; }
  void body_limit(uint64_t bytes) { body_limit_ = bytes; }
  // Where body bytes go (appended); nullptr drops them. Spare capacity of `padding` bytes is kept
  // after the body (for simdjson's in-place parsing).
  void body_sink(std::string* sink, size_t padding = 0) {
    sink_ = sink;
    padding_ = padding;
  }

  // Parses what it can of `in` and returns the bytes it used. `ec` is need_more when the parser
  // needs more bytes to go on (an incomplete head uses none: pass it again with more after it).
  size_t put(std::string_view in, error_code& ec);
  // The connection ended: that ends a body that runs to the close; anywhere else it is an error.
  void put_eof(error_code& ec);

  bool got_some() const { return got_some_; }
  bool is_header_done() const { return state_ > State::kHead; }
  bool is_done() const { return state_ == State::kDone; }
  bool keep_alive() const;
  std::optional<uint64_t> content_length() const {
    return has_length_ && !chunked_ ? std::optional<uint64_t>(length_) : std::nullopt;
  }

 private:
  enum class State { kHead, kLength, kChunkSize, kChunkData, kChunkEnd, kTrailers, kToEof, kDone };

  size_t put_head(std::string_view in, error_code& ec);
  error_code parse_head(std::string_view head);
  error_code parse_request_line(std::string_view line);
  error_code parse_status_line(std::string_view line);
  error_code parse_field(std::string_view line);
  error_code frame_body();
  size_t put_chunk_size(std::string_view in, error_code& ec);
  size_t put_trailers(std::string_view in, error_code& ec);
  error_code take_body(std::string_view bytes);
  void finish();

  Kind kind_;
  Http1Head& head_;
  std::string* sink_ = nullptr;
  size_t padding_ = 0;
  size_t header_limit_ = 8192;
  uint64_t body_limit_ = uint64_t{1024} * 1024;
  State state_ = State::kHead;
  size_t scanned_ = 0;  // bytes of an incomplete head already checked
  uint64_t length_ = 0;
  uint64_t remaining_ = 0;  // of a Content-Length body or a chunk
  uint64_t body_size_ = 0;
  size_t trailer_bytes_ = 0;
  bool got_some_ = false;
  bool has_length_ = false;
  bool chunked_ = false;
  bool close_ = false;
  bool keep_alive_token_ = false;
};

}  // namespace accord
