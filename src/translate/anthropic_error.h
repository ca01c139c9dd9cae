// Errors in Anthropic's shape, for clients of POST /v1/messages:
//   {"type":"error","error":{"type":"invalid_request_error","message":"..."}}
// sent with the status http_status(kind) gives (http/openai_error.h: one table for both APIs). The
// statuses are accord's, so an overload is 503 rather than Anthropic's 529; the SDKs retry both.
// And the other way: an Anthropic upstream's error body read back into an accord Error.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace accord {

// invalid_request_error, authentication_error, permission_error, not_found_error,
// request_too_large, rate_limit_error, timeout_error, api_error or overloaded_error.
std::string_view anthropic_error_type(ErrorKind kind);
// The type Anthropic uses for an HTTP status (400 -> invalid_request_error, 529 ->
// overloaded_error).
std::string_view anthropic_error_type_for_status(int status);

// `request_id` is written when not empty.
std::string anthropic_error_body(const Error& error, std::string_view request_id = {});
// A mid-stream failure: "event: error\ndata: {...}\n\n".
std::string anthropic_error_event(const Error& error);

// A backend's error answer (OpenAI's {"error":{"message",...}} shape, or any other body) in
// Anthropic's shape; the type follows `status`, which the caller keeps for its response.
std::string anthropic_error_from_openai(std::string_view body, int status);

// An Anthropic upstream's error answer (`status` 0 for an error event inside a stream) as an
// Error: an invalid request stays the client's (400), a refused credential or unknown model is
// the upstream's (502), overload and rate limits are retryable. Never fails: a body that is not
// Anthropic's shape keeps its text as the message.
Error error_from_anthropic(std::string_view body, int status);

}  // namespace accord
