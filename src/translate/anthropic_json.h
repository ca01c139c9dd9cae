// Reading JSON for the Anthropic translators (translate/anthropic_*.cpp) with simdjson's DOM API:
// typed reads whose errors name the field in Anthropic's dotted path style
// ("messages.2.content.0.source.type"), and the few shapes both directions share.
// Internal to translate/; the public interfaces are in the other anthropic_*.h headers.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_writer.h"
#include "core/result.h"

namespace accord::anthropic_json {

namespace dom = simdjson::dom;

// "messages" + 2 -> "messages.2"; "" + "model" -> "model".
std::string path(std::string_view base, std::string_view key);
std::string path(std::string_view base, size_t index);

// kInvalidRequest errors whose `param` is the field at fault.
Error invalid(std::string param, std::string message);
Error wrong_type(std::string param, std::string_view expected, dom::element value);
Error missing(std::string param);
// Codes "unknown_parameter" and "unsupported_parameter" (translate/native_only.h).
Error unknown_field(std::string param);
// A field that is valid where it came from but has no counterpart on the other side.
Error untranslatable(std::string param, std::string_view why);
Error bad_json();  // kInvalidJson
// An upstream's answer that is not what its API promises (kUpstreamError, not retryable).
Error bad_upstream(std::string_view what);

// Parses `json` (copied into the parser's padded buffer) and requires an object.
Result<dom::object> parse_object(dom::parser& parser, std::string_view json);

Result<std::string_view> read_string(dom::element value, const std::string& param);
Result<dom::object> read_object(dom::element value, const std::string& param);
Result<dom::array> read_array(dom::element value, const std::string& param);
Result<bool> read_bool(dom::element value, const std::string& param);
Result<int64_t> read_int(dom::element value, const std::string& param);
bool is_number(dom::element value);
bool is_null(dom::element value);

// The string at `key`, or `fallback` when absent, null or not a string (answers from upstreams
// are read leniently: a missing optional field is not worth failing a completion for).
std::string_view string_or(dom::object object, std::string_view key, std::string_view fallback);
int64_t int_or(dom::object object, std::string_view key, int64_t fallback);

// Shared by the answer translators (anthropic_response.cpp, anthropic_stream.cpp).
// Chat's finish_reason as Anthropic's stop_reason (anthropic_response.h has the table).
std::string_view anthropic_stop_reason(std::string_view finish_reason);

struct ChatUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // prompt_tokens_details.cached_tokens
};
// Reads a chat usage object; false when `usage` is not an object (absent or null).
bool read_chat_usage(dom::element usage, ChatUsage& out);
// Writes Anthropic's usage fields into an object the caller has opened.
void write_anthropic_usage_fields(JsonWriter& w, const ChatUsage& usage);

}  // namespace accord::anthropic_json
