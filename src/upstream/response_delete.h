// Deleting a response that a pool's upstreams keep (a Responses API request relayed to them, with
// `store`): DELETE {base}/responses/{id} on one of the pool's healthy endpoints, with its key. So
// DELETE /v1/responses/{id} deletes the conversation where it lives, not only accord's copy.
#pragma once

#include <string_view>

#include "agreement/agreement.h"
#include "core/result.h"
#include "http/client.h"
#include "upstream/endpoint_set.h"

namespace accord {

// Ok when the upstream deleted it or has no such response (404: expired, or deleted before).
// Errors: kUpstreamError when no endpoint answered, or one answered otherwise.
asio::awaitable<Status> delete_upstream_response(EndpointSet& endpoints, HttpClientPool& client,
                                                 const Pool& pool, std::string_view id);

}  // namespace accord
