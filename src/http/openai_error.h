// The one table from an error kind to its HTTP status and OpenAI error fields, and the error body
// {"error":{"message","type","param","code"}} every refusal carries.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "http/exchange.h"

namespace accord {

int http_status(ErrorKind kind);
// OpenAI's "type": invalid_request_error, authentication_error, permission_error, ...
std::string_view openai_error_type(ErrorKind kind);
// OpenAI's "code": invalid_api_key, model_not_found, rate_limit_exceeded, ... (or empty → null)
std::string_view openai_error_code(ErrorKind kind);

std::string openai_error_body(const Error& error);

// Writes `error` in the OpenAI format with its status; false when the client has gone.
asio::awaitable<bool> respond_error(HttpExchange& exchange, const Error& error,
                                    const HeaderLines& headers);

}  // namespace accord
