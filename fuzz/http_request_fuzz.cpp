// Fuzzes the HTTP request path up to the handler: the server's request parser (Beast's, with
// accord's field checks) reading pipelined requests out of one byte stream, fed in pieces of
// fuzzer-chosen sizes as a socket would deliver them, then the checks the server makes before it
// hands a request on (body limits, Expect, header lookup, the query string).
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <cstring>
#include <string_view>

#include "http/query.h"
#include "http/request_parser.h"
#include "put_pending.h"

namespace {

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxBodyBytes = 64 * 1024;

// Feeds `in` to `parser` in pieces of `step` bytes until it has a whole head (or whole message
// when `whole`). Returns false on an error or when the bytes run out first.
bool feed(accord::RequestParser& parser, std::string_view& in, size_t step, bool whole) {
  std::string pending;
  while (whole ? !parser.is_done() : !parser.is_header_done()) {
    if (in.empty()) return false;
    const size_t n = std::min(step, in.size());
    pending.append(in.data(), n);
    in.remove_prefix(n);
    const auto ec = accord::fuzz::put_pending(
        parser, pending, [&] { return whole ? parser.is_done() : parser.is_header_done(); });
    if (ec) return false;
  }
  // What the parser did not consume belongs to the next request (pipelining).
  if (!pending.empty()) {
    in = std::string_view(in.data() - pending.size(), in.size() + pending.size());
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;  // bytes per read
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  accord::RequestData request;
  for (int pipelined = 0; pipelined < 16 && !in.empty(); ++pipelined) {
    request.clear();
    accord::RequestParser parser(request);
    parser.header_limit(kMaxHeaderBytes);
    parser.body_limit(kMaxBodyBytes);
    if (!feed(parser, in, step, false)) return 0;
    if (auto length = parser.content_length(); length && *length > kMaxBodyBytes) return 0;
    (void)request.header("expect");
    (void)request.header("authorization");
    (void)request.header("x-request-id");
    if (!parser.is_done() && !feed(parser, in, step, true)) return 0;
    if (request.body.size() > kMaxBodyBytes) __builtin_trap();  // the limit must hold
    for (const char* name : {"period", "from", "to", "model"}) {
      (void)accord::query_param(request.target, name);
    }
    if (!parser.keep_alive()) return 0;
  }
  return 0;
}
