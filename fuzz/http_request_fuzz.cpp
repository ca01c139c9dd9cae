// Fuzzes the HTTP request path up to the handler: the server's request parser (accord's own
// Http1Parser) reading pipelined requests out of one byte stream, fed in pieces of
// fuzzer-chosen sizes as a socket would deliver them, then the checks the server makes before it
// hands a request on (body limits, Expect, header lookup, the query string).
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/parse_buffered.h"
#include "http/query.h"
#include "http/request_parser.h"
#include "socket_reads.h"

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxBodyBytes = 64 * 1024;

// Reads pieces of `in` until the parser has the head (`head_only`) or the whole message, parsing
// what is buffered as the server does. False on an error or when the bytes run out first.
bool read_until(accord::Http1Parser& parser, boost::beast::flat_buffer& buffer,
                std::string_view& in, size_t step, bool head_only) {
  for (;;) {
    if (accord::parse_buffered(parser, buffer, head_only)) return false;
    if (head_only ? parser.is_header_done() : parser.is_done()) return true;
    if (!accord::fuzz::read_more(buffer, in, step)) return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;  // bytes per read
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  accord::RequestData request;
  boost::beast::flat_buffer buffer;  // the connection's: what one request leaves is the next's
  for (int pipelined = 0; pipelined < 16 && (!in.empty() || buffer.size() > 0); ++pipelined) {
    request.clear();
    accord::Http1Parser parser(accord::Http1Parser::Kind::kRequest, request);
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    parser.body_sink(&request.body, 64);
    if (!read_until(parser, buffer, in, step, true)) return 0;
    const auto length = parser.content_length();
    if (length && *length > kMaxBodyBytes) return 0;
    // Nothing that reads as a line end may reach a header value (it is passed on upstream).
    for (const auto& f : request.headers.fields) {
      for (const char c : std::string_view(request.headers.text).substr(f.value_at, f.value_len)) {
        if (c == '\r' || c == '\n' || c == '\0') __builtin_trap();
      }
    }
    if (request.target.find_first_of(" \r\n") != std::string::npos) __builtin_trap();
    (void)request.header("expect");
    (void)request.header("authorization");
    (void)request.header("x-request-id");
    if (!read_until(parser, buffer, in, step, false)) return 0;
    if (request.body.size() > kMaxBodyBytes) __builtin_trap();  // the limit must hold
    if (length && request.body.size() != *length) __builtin_trap();
    if (request.body.capacity() < request.body.size() + 64) __builtin_trap();  // simdjson's padding
    for (const char* name : {"period", "from", "to", "model"}) {
      (void)accord::query_param(request.target, name);
    }
    if (!parser.keep_alive()) return 0;
  }
  return 0;
}
