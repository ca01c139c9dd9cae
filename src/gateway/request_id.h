// Request ids: the client's X-Request-Id when it is a sensible token, else a fresh one.
#pragma once

#include <string>
#include <string_view>

namespace accord {

// "req_" and 24 hex digits, unique per process (a random prefix and a counter).
std::string new_request_id();
// The client's id when it is 1–128 characters of [A-Za-z0-9._:-], else a new one.
std::string request_id_from(std::string_view client_value);

}  // namespace accord
