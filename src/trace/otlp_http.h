// One OTLP/HTTP export: a JSON body POSTed to a collector over the HTTP client's pooled keep-alive
// connections. Success is any 2xx answer (a partial success's body is not read for what it
// rejected); anything else is an error naming the collector and its answer.
#pragma once

#include <string_view>

#include "core/result.h"
#include "http/client.h"

namespace accord {

// REQUIRES: called on `client`'s io_context.
asio::awaitable<Status> post_otlp_json(HttpClientPool& client, const ClientTarget& target,
                                       std::string_view path, std::string_view body,
                                       const ClientTimeouts& timeouts);

}  // namespace accord
