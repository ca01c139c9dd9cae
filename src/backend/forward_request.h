// The ForwardRequest (upstream/forwarder.h) for an admitted request: what every upstream backend
// sends, less what its API adds (a translator, a body of its own).
#pragma once

#include "backend/backend.h"
#include "upstream/forwarder.h"

namespace accord {

ForwardRequest forward_request_for(const BackendRequest& request, std::string_view api_path);

}  // namespace accord
