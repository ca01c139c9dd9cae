#include "trace/otlp_http.h"

#include <fmt/format.h>

namespace accord {

asio::awaitable<Status> post_otlp_json(HttpClientPool& client, const ClientTarget& target,
                                       std::string_view path, std::string_view body,
                                       const ClientTimeouts& timeouts) {
  const std::string head = fmt::format(
      "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: "
      "{}\r\n\r\n",
      path, target.host_header, body.size());
  auto sent = co_await client.send(target, head, body, timeouts);
  if (!sent.ok()) co_return sent.take_error();
  ClientResponse& response = sent.value();
  std::string& answer = response.buffer();
  // Read to the end, so the connection is kept for the next batch.
  Status read = co_await response.read_all(answer, size_t{1} << 20);
  if (!read.ok()) co_return read;
  const int status = response.status();
  if (status < 200 || status >= 300) {
    co_return Error::upstream(ErrorKind::kUpstreamError,
                              fmt::format("the collector at {} answered {}: {}", target.host_header,
                                          status, answer.substr(0, 200)),
                              false);  // the exporter drops a batch it cannot send
  }
  co_return Status();
}

}  // namespace accord
