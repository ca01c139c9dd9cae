#include "backend/forward_request.h"

namespace accord {

ForwardRequest forward_request_for(const BackendRequest& request, std::string_view api_path) {
  ForwardRequest forward;
  forward.body = request.body;
  forward.api_path = api_path;
  forward.model = request.model;
  forward.pool = request.pool;
  forward.upstream_model = request.upstream_model;
  forward.request_id = request.request_id;
  forward.traceparent = request.traceparent;
  forward.tracestate = request.tracestate;
  return forward;
}

}  // namespace accord
