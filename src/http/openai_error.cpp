#include "http/openai_error.h"

#include "core/json_writer.h"

namespace accord {
namespace {

struct ErrorRow {
  int status;
  std::string_view type;
  std::string_view code;
};

ErrorRow row(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
      return {400, "invalid_request_error", ""};
    case ErrorKind::kInvalidJson:
      return {400, "invalid_request_error", "invalid_json"};
    case ErrorKind::kUnauthorized:
      return {401, "authentication_error", "invalid_api_key"};
    case ErrorKind::kForbidden:
      return {403, "permission_error", "forbidden"};
    case ErrorKind::kModelNotAvailable:
      return {403, "permission_error", "model_not_available"};
    case ErrorKind::kModelNotFound:
      return {404, "invalid_request_error", "model_not_found"};
    case ErrorKind::kRouteNotFound:
      return {404, "invalid_request_error", "not_found"};
    case ErrorKind::kMethodNotAllowed:
      return {405, "invalid_request_error", "method_not_allowed"};
    case ErrorKind::kRequestTimeout:
      return {408, "invalid_request_error", "request_timeout"};
    case ErrorKind::kPayloadTooLarge:
      return {413, "invalid_request_error", "payload_too_large"};
    case ErrorKind::kHeadersTooLarge:
      return {431, "invalid_request_error", "headers_too_large"};
    case ErrorKind::kRateLimited:
      return {429, "rate_limit_error", "rate_limit_exceeded"};
    case ErrorKind::kBudgetExceeded:
      return {429, "insufficient_quota", "insufficient_quota"};
    case ErrorKind::kCapacityExceeded:
      return {429, "rate_limit_error", "capacity_exceeded"};
    case ErrorKind::kPreempted:
      return {503, "server_error", "preempted"};
    case ErrorKind::kUpstreamError:
      return {502, "server_error", "upstream_error"};
    case ErrorKind::kUpstreamTimeout:
      return {504, "server_error", "upstream_timeout"};
    case ErrorKind::kUnavailable:
      return {503, "server_error", "service_unavailable"};
    case ErrorKind::kInternal:
      return {500, "server_error", "internal_error"};
  }
  return {500, "server_error", "internal_error"};
}

}  // namespace

int http_status(ErrorKind kind) {
  return row(kind).status;
}
std::string_view openai_error_type(ErrorKind kind) {
  return row(kind).type;
}
std::string_view openai_error_code(ErrorKind kind) {
  return row(kind).code;
}

std::string openai_error_body(const Error& error) {
  std::string out;
  out.reserve(128 + error.message.size());
  JsonWriter w(out);
  w.begin_object().key("error").begin_object();
  w.field("message", error.message);
  w.field("type", openai_error_type(error.kind));
  w.key("param");
  if (error.param.empty()) {
    w.null();
  } else {
    w.value(error.param);
  }
  w.key("code");
  const std::string_view code = error.code.empty() ? openai_error_code(error.kind) : error.code;
  if (code.empty()) {
    w.null();
  } else {
    w.value(code);
  }
  w.end_object().end_object();
  return out;
}

asio::awaitable<bool> respond_error(HttpExchange& exchange, const Error& error,
                                    const HeaderLines& headers) {
  const std::string body = openai_error_body(error);
  co_return co_await exchange.respond(http_status(error.kind), "application/json", body, headers);
}

}  // namespace accord
