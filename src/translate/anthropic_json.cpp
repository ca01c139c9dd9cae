#include "translate/anthropic_json.h"

#include <fmt/format.h>

#include <algorithm>

#include "translate/native_only.h"

namespace accord::anthropic_json {
namespace {

const char* type_name(dom::element value) {
  switch (value.type()) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

}  // namespace

std::string path(std::string_view base, std::string_view key) {
  if (base.empty()) return std::string(key);
  return fmt::format("{}.{}", base, key);
}

std::string path(std::string_view base, size_t index) {
  return fmt::format("{}.{}", base, index);
}

Error invalid(std::string param, std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message), std::move(param));
}

Error wrong_type(std::string param, std::string_view expected, dom::element value) {
  std::string message =
      fmt::format("{}: expected {}, but got {} instead.", param, expected, type_name(value));
  return invalid(std::move(param), std::move(message));
}

Error missing(std::string param) {
  std::string message = fmt::format("{}: Field required", param);
  return invalid(std::move(param), std::move(message));
}

Error unknown_field(std::string param) {
  std::string message = fmt::format("{}: Extra inputs are not permitted", param);
  Error e = invalid(std::move(param), std::move(message));
  e.code = kUnknownParameter;
  return e;
}

Error untranslatable(std::string param, std::string_view why) {
  std::string message = fmt::format("{}: {}", param, why);
  Error e = invalid(std::move(param), std::move(message));
  e.code = kUnsupportedParameter;
  return e;
}

Error bad_json() {
  return Error::client(ErrorKind::kInvalidJson,
                       "The request body is not valid JSON: expected one JSON object.");
}

Error bad_upstream(std::string_view what) {
  return Error::upstream(ErrorKind::kUpstreamError,
                         fmt::format("The upstream's answer could not be read: {}.", what), false);
}

Result<dom::object> parse_object(dom::parser& parser, std::string_view json) {
  dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) return bad_json();
  dom::object object;
  if (doc.get_object().get(object)) return bad_json();
  return object;
}

Result<std::string_view> read_string(dom::element value, const std::string& param) {
  std::string_view s;
  if (value.get_string().get(s)) return wrong_type(param, "a string", value);
  return s;
}

Result<dom::object> read_object(dom::element value, const std::string& param) {
  dom::object object;
  if (value.get_object().get(object)) return wrong_type(param, "an object", value);
  return object;
}

Result<dom::array> read_array(dom::element value, const std::string& param) {
  dom::array array;
  if (value.get_array().get(array)) return wrong_type(param, "an array", value);
  return array;
}

Result<bool> read_bool(dom::element value, const std::string& param) {
  bool b = false;
  if (value.get_bool().get(b)) return wrong_type(param, "a boolean", value);
  return b;
}

Result<int64_t> read_int(dom::element value, const std::string& param) {
  int64_t n = 0;
  if (value.get_int64().get(n)) return wrong_type(param, "an integer", value);
  return n;
}

bool is_number(dom::element value) {
  const auto t = value.type();
  return t == dom::element_type::INT64 || t == dom::element_type::UINT64 ||
         t == dom::element_type::DOUBLE;
}

bool is_null(dom::element value) {
  return value.type() == dom::element_type::NULL_VALUE;
}

std::string_view string_or(dom::object object, std::string_view key, std::string_view fallback) {
  std::string_view s;
  if (object[key].get_string().get(s)) return fallback;
  return s;
}

int64_t int_or(dom::object object, std::string_view key, int64_t fallback) {
  int64_t n = 0;
  if (object[key].get_int64().get(n)) return fallback;
  return n;
}

std::string_view anthropic_stop_reason(std::string_view finish_reason) {
  if (finish_reason == "length") return "max_tokens";
  if (finish_reason == "tool_calls" || finish_reason == "function_call") return "tool_use";
  if (finish_reason == "content_filter") return "refusal";
  return "end_turn";
}

bool read_chat_usage(dom::element usage, ChatUsage& out) {
  dom::object u;
  if (usage.get_object().get(u)) return false;
  out.prompt_tokens = int_or(u, "prompt_tokens", 0);
  out.completion_tokens = int_or(u, "completion_tokens", 0);
  dom::object details;
  out.cached_tokens = 0;
  if (!u["prompt_tokens_details"].get_object().get(details)) {
    out.cached_tokens = int_or(details, "cached_tokens", 0);
  }
  return true;
}

void write_anthropic_usage_fields(JsonWriter& w, const ChatUsage& usage) {
  const int64_t prompt = std::max<int64_t>(usage.prompt_tokens, 0);
  const int64_t cached = std::clamp<int64_t>(usage.cached_tokens, 0, prompt);
  w.field("input_tokens", prompt - cached);
  w.field("output_tokens", usage.completion_tokens);
  w.field("cache_creation_input_tokens", int64_t{0});
  w.field("cache_read_input_tokens", cached);
}

}  // namespace accord::anthropic_json
