#include "http/http1_parser.h"

#include <gtest/gtest.h>

#include <boost/beast/core/flat_buffer.hpp>

#include <cstring>

#include "http/parse_buffered.h"

namespace accord {
namespace {

namespace herr = boost::beast::http;
using Kind = Http1Parser::Kind;

struct Parsed {
  Http1Head head;
  std::string body;
  error_code ec;
  bool done = false;
  bool keep_alive = false;
  size_t left = 0;  // bytes after the message
};

// Feeds `wire` to a parser `step` bytes at a time through a connection buffer, as the server and
// the client do; then the end of the stream when `eof`.
Parsed parse(Kind kind, std::string_view wire, size_t step, bool eof = false,
             size_t body_limit = 1 << 20) {
  Parsed p;
  Http1Parser parser(kind, p.head);
  parser.header_limit(1024);
  parser.body_limit(body_limit);
  parser.body_sink(&p.body, 64);
  boost::beast::flat_buffer buffer;
  size_t at = 0;
  while (!p.ec && !parser.is_done()) {
    if (at == wire.size()) {
      if (eof) parser.put_eof(p.ec);
      break;
    }
    const size_t n = std::min(step, wire.size() - at);
    std::memcpy(buffer.prepare(n).data(), wire.data() + at, n);
    buffer.commit(n);
    at += n;
    p.ec = parse_buffered(parser, buffer, false);
  }
  p.done = parser.is_done();
  p.keep_alive = parser.keep_alive();
  p.left = buffer.size() + (wire.size() - at);
  return p;
}

// Every split of the input into pieces of 1, 2, 3, 7 and all bytes gives the same result.
template <class Check>
void for_each_step(Kind kind, std::string_view wire, bool eof, Check check) {
  for (size_t step : {size_t{1}, size_t{2}, size_t{3}, size_t{7}, wire.size()}) {
    SCOPED_TRACE("step " + std::to_string(step));
    check(parse(kind, wire, step, eof));
  }
}

TEST(Http1Parser, RequestWithContentLength) {
  const std::string wire =
      "POST /v1/chat/completions?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
      "Authorization:  Bearer k \r\n\r\nhello";
  for_each_step(Kind::kRequest, wire, false, [](const Parsed& p) {
    ASSERT_FALSE(p.ec) << p.ec.message();
    EXPECT_TRUE(p.done);
    EXPECT_EQ(p.head.method, "POST");
    EXPECT_EQ(p.head.target, "/v1/chat/completions?x=1");
    EXPECT_EQ(p.head.version, 11);
    EXPECT_EQ(p.head.headers.get("host"), "a");
    EXPECT_EQ(p.head.headers.get("AUTHORIZATION"), "Bearer k");  // blanks around trimmed
    EXPECT_EQ(p.head.headers.get("x-missing"), "");
    EXPECT_EQ(p.body, "hello");
    EXPECT_GE(p.body.capacity(), p.body.size() + 64);  // room for simdjson
    EXPECT_TRUE(p.keep_alive);
  });
}

TEST(Http1Parser, ChunkedRequestWithExtensionsAndTrailers) {
  const std::string wire =
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5;name=value\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\nGET";
  for_each_step(Kind::kRequest, wire, false, [](const Parsed& p) {
    ASSERT_FALSE(p.ec) << p.ec.message();
    EXPECT_TRUE(p.done);
    EXPECT_EQ(p.body, "hello, world!!!");
    EXPECT_EQ(p.left, 3u);  // the next request's first bytes stay in the buffer
  });
}

TEST(Http1Parser, RequestWithoutABodyEndsAtItsHead) {
  const std::string wire = "\r\nGET /v1/models HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\n";
  for_each_step(Kind::kRequest, wire, false, [](const Parsed& p) {
    ASSERT_FALSE(p.ec) << p.ec.message();
    EXPECT_TRUE(p.done);
    EXPECT_EQ(p.head.target, "/v1/models");  // a stray empty line before it is skipped
    EXPECT_EQ(p.body, "");
  });
}

TEST(Http1Parser, ObsFoldBecomesASpace) {
  const Parsed p =
      parse(Kind::kRequest, "GET / HTTP/1.1\r\nX-A: one\r\n  two\r\nX-B: b\r\n\r\n", 4);
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.head.headers.get("x-a"), "one two");
  EXPECT_EQ(p.head.headers.get("x-b"), "b");
}

TEST(Http1Parser, FramingThatCouldSmuggleIsRefused) {
  const std::pair<std::string, herr::error> cases[] = {
      {"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
       herr::error::bad_transfer_encoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
       herr::error::bad_transfer_encoding},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
       herr::error::bad_transfer_encoding},
      {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", herr::error::bad_transfer_encoding},
      {"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
       herr::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n", herr::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: +5\r\n\r\n", herr::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", herr::error::bad_content_length},
      {"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
       herr::error::bad_content_length},
      {"GET / HTTP/1.1\nHost: a\n\n", herr::error::bad_line_ending},
      {"GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", herr::error::bad_line_ending},
      {"GET / HTTP/1.1\r\nX-Bare: a\rb\r\n\r\n", herr::error::bad_value},
      {std::string("GET / HTTP/1.1\r\nX-Nul: a\0b\r\n\r\n", 30), herr::error::bad_value},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", herr::error::bad_field},
      {"GET / HTTP/1.1\r\n: a\r\n\r\n", herr::error::bad_field},
      {"GET / HTTP/1.1\r\n folded-first\r\n\r\n", herr::error::bad_obs_fold},
      {"G@T / HTTP/1.1\r\n\r\n", herr::error::bad_method},
      {"GET  / HTTP/1.1\r\n\r\n", herr::error::bad_target},
      {"GET /a\x01 HTTP/1.1\r\n\r\n", herr::error::bad_target},
      {"GET / HTTP/2.0\r\n\r\n", herr::error::bad_version},
      {"GET / HTTP/1.1 \r\n\r\n", herr::error::bad_version},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZ\r\n", herr::error::bad_chunk},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n",
       herr::error::bad_chunk},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3 x\r\nabc\r\n",
       herr::error::bad_chunk_extension},
      {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000000\r\n",
       herr::error::bad_chunk},
  };
  for (const auto& [wire, want] : cases) {
    for (size_t step : {size_t{1}, wire.size()}) {
      const Parsed p = parse(Kind::kRequest, wire, step);
      EXPECT_EQ(p.ec, make_error_code(want))
          << wire << " (step " << step << "): " << p.ec.message();
    }
  }
}

TEST(Http1Parser, EqualContentLengthsAreOne) {
  const Parsed p = parse(
      Kind::kRequest, "POST / HTTP/1.1\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab", 3);
  ASSERT_FALSE(p.ec) << p.ec.message();
  EXPECT_EQ(p.body, "ab");
}

TEST(Http1Parser, LimitsHold) {
  // A head over the limit, complete or not.
  EXPECT_EQ(
      parse(Kind::kRequest, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a') + "\r\n\r\n", 64).ec,
      herr::error::header_limit);
  EXPECT_EQ(parse(Kind::kRequest, "GET / HTTP/1.1\r\nX: " + std::string(2000, 'a'), 64).ec,
            herr::error::header_limit);
  // A body over the limit, declared or chunked.
  EXPECT_EQ(parse(Kind::kRequest, "POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", 8, false, 10).ec,
            herr::error::body_limit);
  EXPECT_EQ(parse(Kind::kRequest,
                  "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n", 8,
                  false, 10)
                .ec,
            herr::error::body_limit);
}

TEST(Http1Parser, KeepAliveFollowsVersionAndConnection) {
  EXPECT_TRUE(parse(Kind::kRequest, "GET / HTTP/1.1\r\n\r\n", 99).keep_alive);
  EXPECT_FALSE(
      parse(Kind::kRequest, "GET / HTTP/1.1\r\nConnection: x, Close\r\n\r\n", 99).keep_alive);
  EXPECT_FALSE(parse(Kind::kRequest, "GET / HTTP/1.0\r\n\r\n", 99).keep_alive);
  const Parsed p = parse(Kind::kRequest, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 99);
  EXPECT_TRUE(p.keep_alive);
  EXPECT_EQ(p.head.version, 10);
}

TEST(Http1Parser, TheEndOfTheStream) {
  Http1Head head;
  Http1Parser fresh(Kind::kRequest, head);
  error_code ec;
  fresh.put_eof(ec);
  EXPECT_EQ(ec, herr::error::end_of_stream);  // a connection closed between requests
  EXPECT_EQ(parse(Kind::kRequest, "GET / HT", 99, true).ec, herr::error::partial_message);
  EXPECT_EQ(parse(Kind::kRequest, "POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc", 99, true).ec,
            herr::error::partial_message);
}

TEST(Http1Parser, APutThatEndsTheHeadStopsThere) {
  Http1Head head;
  Http1Parser parser(Kind::kResponse, head);
  const std::string wire = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
  error_code ec;
  EXPECT_EQ(parser.put(wire, ec), wire.size() - 2);
  EXPECT_TRUE(parser.is_header_done());
  EXPECT_EQ(head.status, 200);
  std::string body;
  parser.body_sink(&body);  // the body goes where the caller says, once it has seen the head
  EXPECT_EQ(parser.put("ok", ec), 2u);
  EXPECT_FALSE(ec);
  EXPECT_TRUE(parser.is_done());
  EXPECT_EQ(body, "ok");
}

TEST(Http1Parser, Responses) {
  for_each_step(Kind::kResponse,
                "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                "Content-Length: 99\r\nContent-Type: text/event-stream\r\n\r\n"
                "4\r\ndata\r\n0\r\n\r\n",
                false, [](const Parsed& p) {
                  ASSERT_FALSE(p.ec) << p.ec.message();
                  EXPECT_EQ(p.head.status, 200);  // the interim 100 is read past
                  EXPECT_EQ(p.head.headers.get("content-type"), "text/event-stream");
                  EXPECT_EQ(p.body, "data");  // chunked wins over Content-Length
                  EXPECT_TRUE(p.keep_alive);
                });
  for_each_step(Kind::kResponse, "HTTP/1.1 200\r\n\r\nto the close", true, [](const Parsed& p) {
    ASSERT_FALSE(p.ec) << p.ec.message();
    EXPECT_TRUE(p.done);
    EXPECT_EQ(p.body, "to the close");
    EXPECT_FALSE(p.keep_alive);
  });
  const Parsed empty = parse(Kind::kResponse, "HTTP/1.1 204 No Content\r\n\r\n", 5);
  EXPECT_TRUE(empty.done);
  EXPECT_TRUE(empty.keep_alive);
  EXPECT_EQ(parse(Kind::kResponse, "HTTP/1.1 2x0 OK\r\n\r\n", 5).ec, herr::error::bad_status);
  EXPECT_EQ(parse(Kind::kResponse, "HTTP/1.1 200 O\x01K\r\n\r\n", 5).ec, herr::error::bad_reason);
  EXPECT_EQ(parse(Kind::kResponse, "ICY 200 OK\r\n\r\n", 5).ec, herr::error::bad_version);
}

}  // namespace
}  // namespace accord
