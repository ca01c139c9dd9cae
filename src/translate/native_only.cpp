#include "translate/native_only.h"

#include <simdjson.h>

#include "core/json_writer.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

Error wrong_type(std::string_view key, std::string_view expected) {
  return Error::client(
      ErrorKind::kInvalidRequest,
      "Invalid type for '" + std::string(key) + "': expected " + std::string(expected) + ".",
      std::string(key));
}

}  // namespace

bool only_native_upstreams_take(const Error& translation_error) {
  return translation_error.kind == ErrorKind::kInvalidRequest &&
         (translation_error.code == kUnsupportedParameter ||
          translation_error.code == kUnknownParameter);
}

Result<NativeOnlyRequest> read_native_only_request(std::string_view body,
                                                   std::string_view max_tokens_key) {
  thread_local dom::parser parser;
  dom::element root;
  dom::object object;
  if (parser.parse(body.data(), body.size()).get(root) || root.get_object().get(object)) {
    return Error::client(ErrorKind::kInvalidJson,
                         "The request body is not valid JSON: expected one JSON object.");
  }
  NativeOnlyRequest out;
  std::optional<int64_t> max_tokens;
  for (auto [key, value] : object) {
    if (value.is_null()) continue;
    if (key == "model") {
      std::string_view model;
      if (value.get_string().get(model)) return wrong_type(key, "a string");
      out.model = model;
    } else if (key == "stream") {
      if (value.get_bool().get(out.stream)) return wrong_type(key, "a boolean");
    } else if (key == "store") {
      if (value.get_bool().get(out.store)) return wrong_type(key, "a boolean");
    } else if (key == "previous_response_id") {
      std::string_view id;
      if (value.get_string().get(id)) return wrong_type(key, "a string");
      out.previous_response_id = id;
    } else if (key == max_tokens_key) {
      int64_t n = 0;
      if (value.get_int64().get(n) || n < 1) return wrong_type(key, "a positive integer");
      max_tokens = n;
    }
  }
  if (out.model.empty()) {
    return Error::client(ErrorKind::kInvalidRequest, "Missing required parameter: 'model'.",
                         "model");
  }
  JsonWriter w(out.chat_body);
  w.begin_object().field("model", out.model).key("messages").begin_array();
  w.begin_object().field("role", "user").field("content", body).end_object();
  w.end_array();
  if (max_tokens) w.field("max_completion_tokens", *max_tokens);
  if (out.stream) {
    w.field("stream", true).key("stream_options").begin_object();
    w.field("include_usage", true).end_object();
  }
  w.end_object();
  return out;
}

}  // namespace accord
