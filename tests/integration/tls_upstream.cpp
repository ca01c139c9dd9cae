#include "tls_upstream.h"

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>
#include <string>

#include "runtime/asio.h"

namespace accord::testing {
namespace {

namespace ssl = asio::ssl;

const char* kCompletion =
    R"({"id":"chatcmpl-t","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6}})";
const char* kModels = R"({"object":"list","data":[{"id":"m","object":"model"}]})";

std::string chunk(const std::string& s) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", s.size());
  return size + s + "\r\n";
}

std::string stream_answer() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: "
         "chunked\r\n\r\n" +
         chunk(
             "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,"
             "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi \"},"
             "\"finish_reason\":null}]}\n\n") +
         chunk(
             "data: {\"id\":\"chatcmpl-t\",\"object\":\"chat.completion.chunk\",\"created\":1,"
             "\"model\":\"m\",\"choices\":[],\"usage\":{\"prompt_tokens\":5,"
             "\"completion_tokens\":1,\"total_tokens\":6}}\n\n") +
         chunk("data: [DONE]\n\n") + "0\r\n\r\n";
}

std::string json_answer(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

}  // namespace

struct TlsUpstream::Loop {
  asio::io_context io{1};
  ssl::context context{ssl::context::tls_server};
  tcp::acceptor acceptor{io};
};

namespace {

// One connection: the handshake, then requests one after another until the peer goes.
asio::awaitable<void> serve(ssl::stream<tcp::socket> stream, TlsUpstream::Counters& counters) {
  error_code ec;
  co_await stream.async_handshake(ssl::stream_base::server, use_ec(ec));
  if (ec) {
    ++counters.failed_handshakes;
    co_return;
  }
  ++counters.handshakes;
  if (SSL_session_reused(stream.native_handle()) == 1) ++counters.resumed;
  std::string in;
  char buf[16384];
  for (;;) {
    size_t head_end = std::string::npos;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      const size_t n = co_await stream.async_read_some(asio::buffer(buf), use_ec(ec));
      if (ec) co_return;
      in.append(buf, n);
    }
    std::string head = in.substr(0, head_end);
    std::transform(head.begin(), head.end(), head.begin(), ::tolower);
    size_t length = 0;
    if (const size_t at = head.find("content-length:"); at != std::string::npos) {
      length = std::stoul(head.substr(at + 15));
    }
    while (in.size() < head_end + 4 + length) {
      const size_t n = co_await stream.async_read_some(asio::buffer(buf), use_ec(ec));
      if (ec) co_return;
      in.append(buf, n);
    }
    const std::string body = in.substr(head_end + 4, length);
    in.erase(0, head_end + 4 + length);
    std::string answer;
    if (head.starts_with("get")) {
      ++counters.health_checks;
      answer = json_answer(kModels);
    } else {
      ++counters.completions;
      answer = body.find("\"stream\":true") != std::string::npos ? stream_answer()
                                                                 : json_answer(kCompletion);
    }
    co_await asio::async_write(stream, asio::buffer(answer), use_ec(ec));
    if (ec) co_return;
  }
}

asio::awaitable<void> accept_loop(TlsUpstream::Loop& loop, TlsUpstream::Counters& counters) {
  for (;;) {
    error_code ec;
    tcp::socket socket = co_await loop.acceptor.async_accept(use_ec(ec));
    if (ec) co_return;
    asio::co_spawn(loop.io,
                   serve(ssl::stream<tcp::socket>(std::move(socket), loop.context), counters),
                   asio::detached);
  }
}

}  // namespace

TlsUpstream::TlsUpstream(const TestCertificate& certificate) : loop_(std::make_unique<Loop>()) {
  loop_->context.use_certificate_chain(asio::buffer(certificate.cert_pem));
  loop_->context.use_private_key(asio::buffer(certificate.key_pem), ssl::context::pem);
  const tcp::endpoint at(asio::ip::make_address("127.0.0.1"), 0);
  loop_->acceptor.open(at.protocol());
  loop_->acceptor.bind(at);
  loop_->acceptor.listen();
  port_ = loop_->acceptor.local_endpoint().port();
  asio::co_spawn(loop_->io, accept_loop(*loop_, counters_), asio::detached);
  thread_ = std::thread([this] { loop_->io.run(); });
}

TlsUpstream::~TlsUpstream() {
  loop_->io.stop();
  thread_.join();
}

}  // namespace accord::testing
