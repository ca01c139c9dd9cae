// Helpers the translate/ files share and nothing else includes: reading simdjson DOM values with
// OpenAI-style error messages, the input items' translation, and reading a Chat Completion's
// usage and in-band errors.
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "core/error.h"
#include "core/result.h"
#include "translate/responses_object.h"
#include "translate/responses_request.h"

namespace accord::responses_detail {

namespace dom = simdjson::dom;

Error invalid_param(std::string param, std::string message);
// "Invalid type for 'x': expected a string, but got a number instead."
Error wrong_type(std::string_view param, std::string_view expected, dom::element value);
Error missing_param(std::string_view param);
// A field Chat Completions cannot carry: "<what> is not supported ..." naming `param`.
// Its code is "unsupported_parameter" (translate/native_only.h).
Error not_translatable(std::string param, std::string_view what);
// A field this gateway does not know: "Unknown parameter: 'x'.", code "unknown_parameter".
Error unknown_param(std::string param);
Error bad_json_body();

bool is_null(dom::element v);
// The value re-serialised, minified.
std::string raw_json(dom::element v);
std::string raw_json(dom::array v);

// Sets `out` from `result` (a member looked up, converted) when it holds a value of that type.
template <class T, class R>
void read_into(R&& result, T& out) {
  T value;
  if (!std::forward<R>(result).get(value)) out = value;
}
// The items of a JSON array's text without its brackets ("" for "[]" or "").
std::string_view array_items(std::string_view array_json);

// The "input" field (a string or an array of items) as a JSON array of Chat messages.
Status translate_input(dom::element input, const ItemLookup& lookup, std::string& messages_json);

// "tools" → Chat tools (function tools only; the count of them in `count`), "tool_choice" →
// Chat's tool_choice, "text" → its echo, Chat's response_format and verbosity (each "" when
// there is nothing to send). Outputs are raw JSON values.
Status translate_tools(dom::element tools, std::string& chat_tools, int64_t& count);
Status translate_tool_choice(dom::element choice, std::string& chat_choice);
Status translate_text_config(dom::element text, std::string& echo, std::string& response_format,
                             std::string& verbosity);

// A Chat Completion's (or chunk's) "usage" object.
ResponseUsage read_chat_usage(dom::element usage);
// An error the upstream reported inside a 200 body or a stream chunk: {"error": {...}} or
// {"object": "error", "message": ...}.
std::optional<Error> upstream_error_in(dom::object root);

}  // namespace accord::responses_detail
