#include "translate/anthropic_error.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/json_writer.h"
#include "translate/anthropic_json.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

constexpr size_t kMaxRelayedMessage = 512;  // bytes of a non-JSON body kept as the message

std::string write_body(std::string_view type, std::string_view message,
                       std::string_view request_id) {
  std::string out;
  out.reserve(64 + message.size());
  JsonWriter w(out);
  w.begin_object().field("type", "error").key("error").begin_object();
  w.field("type", type).field("message", message).end_object();
  if (!request_id.empty()) w.field("request_id", request_id);
  w.end_object();
  return out;
}

// The message of {"error":{"message":...}} or {"error":"..."}, or the body itself, cut short.
std::string error_message(std::string_view body) {
  dom::parser parser;
  dom::element doc;
  if (!parser.parse(body.data(), body.size()).get(doc)) {
    dom::element error;
    if (!doc["error"].get(error)) {
      std::string_view message;
      if (!error.get_string().get(message)) return std::string(message);
      if (!error["message"].get_string().get(message)) return std::string(message);
    }
    std::string_view message;
    if (!doc["message"].get_string().get(message)) return std::string(message);
  }
  std::string out(body.substr(0, kMaxRelayedMessage));
  if (out.empty()) out = "The upstream answered with an error and no message.";
  return out;
}

}  // namespace

std::string_view anthropic_error_type(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidRequest:
    case ErrorKind::kInvalidJson:
    case ErrorKind::kMethodNotAllowed:
    case ErrorKind::kRequestTimeout:
      return "invalid_request_error";
    case ErrorKind::kUnauthorized:
      return "authentication_error";
    case ErrorKind::kForbidden:
    case ErrorKind::kModelNotAvailable:
      return "permission_error";
    case ErrorKind::kModelNotFound:
    case ErrorKind::kRouteNotFound:
      return "not_found_error";
    case ErrorKind::kPayloadTooLarge:
    case ErrorKind::kHeadersTooLarge:
      return "request_too_large";
    case ErrorKind::kRateLimited:
    case ErrorKind::kBudgetExceeded:
    case ErrorKind::kCapacityExceeded:
      return "rate_limit_error";
    case ErrorKind::kUpstreamTimeout:
      return "timeout_error";
    case ErrorKind::kPreempted:
    case ErrorKind::kUnavailable:
      return "overloaded_error";
    case ErrorKind::kUpstreamError:
    case ErrorKind::kInternal:
      return "api_error";
  }
  return "api_error";
}

std::string_view anthropic_error_type_for_status(int status) {
  switch (status) {
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
    case 529:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    default:
      return status >= 400 && status < 500 ? "invalid_request_error" : "api_error";
  }
}

std::string anthropic_error_body(const Error& error, std::string_view request_id) {
  return write_body(anthropic_error_type(error.kind), error.message, request_id);
}

std::string anthropic_error_event(const Error& error) {
  std::string out = "event: error\ndata: ";
  out += anthropic_error_body(error);
  out += "\n\n";
  return out;
}

std::string anthropic_error_from_openai(std::string_view body, int status) {
  return write_body(anthropic_error_type_for_status(status), error_message(body), {});
}

Error error_from_anthropic(std::string_view body, int status) {
  std::string_view type;
  dom::parser parser;
  dom::element doc;
  if (!parser.parse(body.data(), body.size()).get(doc)) {
    if (doc["error"]["type"].get_string().get(type)) type = {};
  }
  if (type.empty()) type = anthropic_error_type_for_status(status == 0 ? 500 : status);
  std::string message =
      fmt::format("The Anthropic upstream refused the request ({}): {}", type, error_message(body));
  auto upstream = [&](ErrorKind kind, bool retryable) {
    return Error::upstream(kind, std::move(message), retryable);
  };
  if (type == "invalid_request_error") {
    return Error{
        ErrorKind::kInvalidRequest, ErrorSource::kClient, false, std::move(message), {}, {}, -1};
  }
  if (type == "request_too_large") return upstream(ErrorKind::kPayloadTooLarge, false);
  if (type == "rate_limit_error") return upstream(ErrorKind::kRateLimited, true);
  if (type == "overloaded_error") return upstream(ErrorKind::kUnavailable, true);
  if (type == "timeout_error") return upstream(ErrorKind::kUpstreamTimeout, true);
  if (type == "api_error") return upstream(ErrorKind::kUpstreamError, true);
  // authentication_error, permission_error, not_found_error, billing_error: the gateway's
  // credentials or model mapping, which the client cannot fix.
  return upstream(ErrorKind::kUpstreamError, false);
}

}  // namespace accord
