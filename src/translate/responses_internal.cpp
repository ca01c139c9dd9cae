#include "translate/responses_internal.h"

#include <fmt/format.h>

#include "translate/native_only.h"

namespace accord::responses_detail {

namespace {

const char* type_name(dom::element_type t) {
  switch (t) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
      return "an integer";
    case dom::element_type::DOUBLE:
      return "a decimal";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

std::string_view trim_json_space(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

int64_t count_member(dom::object object, std::string_view key) {
  int64_t n = 0;
  dom::element v;
  if (object[key].get(v) || v.get_int64().get(n)) return 0;
  return n;
}

}  // namespace

Error invalid_param(std::string param, std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message), std::move(param));
}

Error wrong_type(std::string_view param, std::string_view expected, dom::element value) {
  return invalid_param(std::string(param),
                       fmt::format("Invalid type for '{}': expected {}, but got {} instead.", param,
                                   expected, type_name(value.type())));
}

Error missing_param(std::string_view param) {
  return invalid_param(std::string(param), fmt::format("Missing required parameter: '{}'.", param));
}

Error not_translatable(std::string param, std::string_view what) {
  Error e = invalid_param(std::move(param),
                          fmt::format("{} is not supported: this server answers /v1/responses "
                                      "through Chat Completions, which has no equivalent.",
                                      what));
  e.code = kUnsupportedParameter;
  return e;
}

Error unknown_param(std::string param) {
  std::string message = fmt::format("Unknown parameter: '{}'.", param);
  Error e = invalid_param(std::move(param), std::move(message));
  e.code = kUnknownParameter;
  return e;
}

Error bad_json_body() {
  return Error::client(ErrorKind::kInvalidJson,
                       "We could not parse the JSON body of your request. (HINT: This likely "
                       "means you aren't using your HTTP library correctly. The OpenAI API "
                       "expects a JSON payload, but what was sent was not valid JSON.)");
}

bool is_null(dom::element v) {
  return v.is_null();
}

std::string raw_json(dom::element v) {
  return simdjson::to_string(v);
}

std::string raw_json(dom::array v) {
  return simdjson::to_string(v);
}

std::string_view array_items(std::string_view array_json) {
  std::string_view s = trim_json_space(array_json);
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return {};
  return trim_json_space(s.substr(1, s.size() - 2));
}

ResponseUsage read_chat_usage(dom::element usage) {
  ResponseUsage out;
  dom::object object;
  if (usage.get_object().get(object)) return out;
  out.reported = true;
  out.input_tokens = count_member(object, "prompt_tokens");
  out.output_tokens = count_member(object, "completion_tokens");
  out.total_tokens = count_member(object, "total_tokens");
  if (out.total_tokens == 0) out.total_tokens = out.input_tokens + out.output_tokens;
  dom::object details;
  if (!object["prompt_tokens_details"].get_object().get(details)) {
    out.cached_tokens = count_member(details, "cached_tokens");
  }
  if (!object["completion_tokens_details"].get_object().get(details)) {
    out.reasoning_tokens = count_member(details, "reasoning_tokens");
  }
  return out;
}

std::optional<Error> upstream_error_in(dom::object root) {
  dom::element error;
  std::string_view message;
  if (!root["error"].get(error) && !is_null(error)) {
    dom::object detail;
    if (!error.get_object().get(detail)) {
      if (detail["message"].get_string().get(message)) message = "no message";
    } else if (error.get_string().get(message)) {
      message = "no message";
    }
  } else {
    std::string_view object;
    if (root["object"].get_string().get(object) || object != "error") return std::nullopt;
    if (root["message"].get_string().get(message)) message = "no message";
  }
  return Error::upstream(ErrorKind::kUpstreamError,
                         fmt::format("The upstream reported an error: {}", message), false);
}

}  // namespace accord::responses_detail
