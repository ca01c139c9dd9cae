// accord-http-parse: CPU time to parse the hot path's two messages — a client's chat request and
// an upstream's JSON answer, as bench/peers sends and gets them — with accord's Http1Parser and,
// in the same run, with Beast's basic_parser (what accord used before), each writing the fields
// flat into reused buffers the same way. Rounds alternate between the two; medians are printed.
//
// Usage: accord-http-parse [MESSAGE_PAIRS_PER_ROUND=200000] [ROUNDS=7]   (pin it: taskset -c 1)
#include <fmt/format.h>
#include <boost/beast/http/basic_parser.hpp>

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1_parser.h"

namespace {

namespace bhttp = boost::beast::http;
using boost::beast::error_code;

constexpr std::string_view kRequest =
    "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:18841\r\n"
    "Content-Type: application/json\r\n"
    "Authorization: Bearer sk-bench-0123456789abcdef0123456789abcdef\r\nContent-Length: 80\r\n\r\n"
    R"({"model":"bench","messages":[{"role":"user","content":"Hello"}],"max_tokens":16})";
constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Sat, 28 Nov 2026 00:19:22 GMT\r\n"
    "Content-Type: application/json\r\nContent-Length: 40\r\n"
    "Last-Modified: Fri, 27 Nov 2026 21:47:43 GMT\r\nConnection: keep-alive\r\n"
    "ETag: \"6b09fa7f-127\"\r\nAccept-Ranges: bytes\r\n\r\n"
    R"({"usage":{"prompt_tokens":12,"total":9}})";

// Beast's parser with the callbacks accord had: fields copied flat, the body appended.
template <bool IsRequest>
class BeastParser final : public bhttp::basic_parser<IsRequest> {
 public:
  explicit BeastParser(accord::Http1Head& head, std::string& body) : head_(head), body_(body) {}

 private:
  using string_view = boost::beast::string_view;
  void on_request_impl(bhttp::verb, string_view method, string_view target, int version,
                       error_code&) override {
    head_.method.assign(method.data(), method.size());
    head_.target.assign(target.data(), target.size());
    head_.version = version;
  }
  void on_response_impl(int code, string_view, int, error_code&) override { head_.status = code; }
  void on_field_impl(bhttp::field, string_view name, string_view value, error_code& ec) override {
    for (const char c : value) {  // accord's value check, as it was
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && c != '\t') || u == 0x7f) {
        ec = bhttp::error::bad_value;
        return;
      }
    }
    accord::HeaderFields& h = head_.headers;
    const auto at = static_cast<uint32_t>(h.text.size());
    h.text.append(name.data(), name.size());
    h.text.append(value.data(), value.size());
    h.fields.push_back({at, static_cast<uint32_t>(name.size()),
                        at + static_cast<uint32_t>(name.size()),
                        static_cast<uint32_t>(value.size())});
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(boost::optional<std::uint64_t> const& length, error_code&) override {
    if (length) body_.reserve(*length + 64);
  }
  std::size_t on_body_impl(string_view s, error_code&) override {
    body_.append(s.data(), s.size());
    return s.size();
  }
  void on_chunk_header_impl(std::uint64_t, string_view, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, string_view s, error_code&) override {
    body_.append(s.data(), s.size());
    return s.size();
  }
  void on_finish_impl(error_code&) override {}

  accord::Http1Head& head_;
  std::string& body_;
};

int64_t thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

// Parses `wire` whole: the head, then the body (as the server and client do, in two puts).
template <class Parser>
size_t parse_whole(Parser& parser, std::string_view wire) {
  error_code ec;
  size_t used = 0;
  while (!ec && !parser.is_done() && used < wire.size()) {
    const size_t n = [&] {
      if constexpr (std::is_same_v<Parser, accord::Http1Parser>) {
        return parser.put(wire.substr(used), ec);
      } else {
        return parser.put(boost::asio::buffer(wire.data() + used, wire.size() - used), ec);
      }
    }();
    used += n;
    if (ec == bhttp::error::need_more) ec = {};
    if (n == 0) break;
  }
  if (ec || !parser.is_done()) {
    fmt::print(stderr, "parse failed after {} of {} bytes: {}\n", used, wire.size(), ec.message());
    std::exit(1);
  }
  return used;
}

double run_ours(int pairs, accord::Http1Head& head, std::string& body) {
  const int64_t start = thread_cpu_ns();
  size_t sink = 0;
  for (int i = 0; i < pairs; ++i) {
    head.clear();
    body.clear();
    accord::Http1Parser request(accord::Http1Parser::Kind::kRequest, head);
    request.body_sink(&body, 64);
    sink += parse_whole(request, kRequest);
    head.clear();
    body.clear();
    accord::Http1Parser response(accord::Http1Parser::Kind::kResponse, head);
    response.body_sink(&body);
    sink += parse_whole(response, kResponse);
  }
  if (sink != static_cast<size_t>(pairs) * (kRequest.size() + kResponse.size())) std::exit(1);
  return static_cast<double>(thread_cpu_ns() - start) / pairs;
}

double run_beast(int pairs, accord::Http1Head& head, std::string& body) {
  const int64_t start = thread_cpu_ns();
  size_t sink = 0;
  for (int i = 0; i < pairs; ++i) {
    head.clear();
    body.clear();
    BeastParser<true> request(head, body);
    sink += parse_whole(request, kRequest);
    head.clear();
    body.clear();
    BeastParser<false> response(head, body);
    sink += parse_whole(response, kResponse);
  }
  if (sink != static_cast<size_t>(pairs) * (kRequest.size() + kResponse.size())) std::exit(1);
  return static_cast<double>(thread_cpu_ns() - start) / pairs;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const int pairs = argc > 1 ? std::atoi(argv[1]) : 200000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  accord::Http1Head head;
  std::string body;
  run_ours(pairs / 10, head, body);  // warm-up
  run_beast(pairs / 10, head, body);
  std::vector<double> ours, beast;
  for (int r = 0; r < rounds; ++r) {
    ours.push_back(run_ours(pairs, head, body));
    beast.push_back(run_beast(pairs, head, body));
  }
  const double o = median(ours);
  const double b = median(beast);
  fmt::print("request ({} bytes) + response ({} bytes), {} pairs x {} rounds, median CPU time:\n",
             kRequest.size(), kResponse.size(), pairs, rounds);
  fmt::print("  Http1Parser (accord)   {:7.1f} ns per pair\n", o);
  fmt::print("  Beast basic_parser     {:7.1f} ns per pair\n", b);
  fmt::print("  accord / Beast         {:7.3f}x\n", o / b);
  return 0;
}
