#include "upstream/response_delete.h"

#include <fmt/format.h>

#include "upstream/provider_http.h"

namespace accord {

asio::awaitable<Status> delete_upstream_response(EndpointSet& endpoints, HttpClientPool& client,
                                                 const Pool& pool, std::string_view id) {
  uint64_t tried = 0;
  std::string last = "no endpoint is healthy";
  for (int attempt = 0; attempt <= pool.max_retries; ++attempt) {
    const int e = endpoints.try_acquire(tried);
    if (e < 0) break;
    struct Release {
      EndpointSet& set;
      int endpoint;
      ~Release() { set.release(endpoint); }
    } release{endpoints, e};
    tried |= e < 64 ? uint64_t{1} << e : 0;
    std::string head = "DELETE ";
    append_call_target(head, pool, endpoints.endpoint(e), "/responses/", {});
    append_path_segment(head, id);
    head.append(" HTTP/1.1\r\nHost: ");
    head.append(endpoints.target(e).host_header);
    head.append("\r\nContent-Length: 0");
    head.append(endpoints.request_headers(e));
    head.append("\r\n\r\n");
    const ClientTimeouts timeouts{pool.timeouts.connect_ms, pool.timeouts.first_byte_ms,
                                  pool.timeouts.idle_ms};
    auto sent = co_await client.send(endpoints.target(e), head, {}, timeouts);
    if (!sent.ok()) {
      endpoints.record_failure(e);
      last = sent.error().message;
      continue;
    }
    ClientResponse& response = sent.value();
    std::string body;
    co_await response.read_all(body, 64 * 1024);
    const int status = response.status();
    if ((status >= 200 && status < 300) || status == 404) co_return Status();
    last = fmt::format("{} answered {}", endpoints.target(e).host_header, status);
    if (status < 500) break;
  }
  co_return Error::upstream(
      ErrorKind::kUpstreamError,
      fmt::format("The response could not be deleted where pool '{}' keeps it ({}); accord keeps "
                  "its copy, so the deletion can be retried.",
                  pool.name, last),
      false);
}

}  // namespace accord
