// Fuzzes what the forwarder reads from an upstream: the response head and body (plain,
// Content-Length or chunked) through the client's parser, fed in fuzzer-chosen pieces; then the
// body as a JSON answer (usage, is it an object) and as an SSE stream, event by event, looking
// for usage in each event's data as the relay does.
#include <boost/beast/core/flat_buffer.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/parse_buffered.h"
#include "http/sse.h"
#include "openai/response_usage.h"
#include "socket_reads.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const size_t step = 1 + data[0] % 64;
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);

  accord::Http1Head head;
  accord::Http1Parser parser(accord::Http1Parser::Kind::kResponse, head);
  parser.header_limit(8 * 1024);
  parser.body_limit(1 << 20);
  std::string body;
  parser.body_sink(&body);
  accord::SseParser sse;
  accord::SseEvent event;
  boost::beast::flat_buffer buffer;
  boost::beast::error_code ec;
  while (!parser.is_done() && accord::fuzz::read_more(buffer, in, step)) {
    const size_t before = body.size();
    ec = accord::parse_buffered(parser, buffer, false);
    if (ec) break;
    // Relay as the forwarder does: each complete event as soon as it arrives.
    sse.feed(std::string_view(body).substr(before));
    while (sse.next(event)) {
      if (event.raw.empty()) __builtin_trap();
      (void)accord::find_usage(event.data);
    }
    sse.compact();
  }
  if (!ec && in.empty() && !parser.is_done()) parser.put_eof(ec);  // a body that runs to the close
  if (parser.is_header_done() && (head.status < 100 || head.status > 999)) __builtin_trap();
  (void)head.headers.get("content-type");
  (void)head.headers.get("retry-after");
  (void)accord::is_json_object(body);
  (void)accord::find_usage(body);
  return 0;
}
