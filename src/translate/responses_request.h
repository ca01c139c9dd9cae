// Serving POST /v1/responses from a Chat Completions backend, the request half: a Responses body
// is read and checked, then written as a Chat Completions body. What Chat Completions cannot do
// (built-in tools, background runs, conversations, prompt templates, reasoning items, file ids,
// truncation "auto", ...) is refused with a 400 whose `param` names the field — never dropped.
// Unknown top-level fields are refused too, as OpenAI does. Nested fields accord does not read
// (an item's "id", "status" or "phase") are ignored.
//
// Conversation state stays with the caller; this code is pure. Per response, the caller keeps
// the new input (ResponsesRequest::input_messages_json) and the answer (the translators'
// output_messages_json), both as Chat messages, and each output item's JSON by its id (for the
// `item_reference` input items the AI SDK sends when store is true). The next turn's history is
// concat_message_arrays({history, input, output}); instructions are not carried over, as
// OpenAI's previous_response_id does.
//
// The answer half is translate/responses_response.h (a whole completion) and
// translate/responses_stream.h (SSE).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

struct ResponsesRequest {
  std::string model;
  bool stream = false;
  bool store = true;                 // OpenAI's default
  std::string previous_response_id;  // "" when none
  std::optional<int64_t> max_output_tokens;
  std::optional<std::string> instructions;  // becomes the first (system) message
  bool include_logprobs = false;            // include: ["message.output_text.logprobs"]
  std::string service_tier;                 // "" when not given
  // What the Response object echoes, as JSON members without braces and with defaults filled
  // in: background, instructions, max_output_tokens, max_tool_calls, parallel_tool_calls,
  // previous_response_id, prompt_cache_key, prompt_cache_retention, reasoning, safety_identifier,
  // store, temperature, text, tool_choice, tools, top_logprobs, top_p, truncation, user, metadata.
  std::string echo_json;
  // The Chat Completions members the request translates to, each preceded by a comma: tools
  // (with tool_choice and parallel_tool_calls, which Chat refuses without tools), response_format,
  // temperature, top_p, user, service_tier, metadata, reasoning_effort, verbosity, logprobs,
  // top_logprobs, prompt_cache_key, prompt_cache_retention, safety_identifier,
  // max_completion_tokens.
  std::string chat_fields_json;
  // The new input as a JSON array of Chat messages (instructions not included): a string input
  // is one user message; message items keep their role (developer becomes system, which every
  // chat template knows); function_call items become an assistant message's tool_calls
  // (consecutive calls, and calls right after an assistant message, merge into it);
  // function_call_output items become tool messages.
  std::string input_messages_json;
};

// Finds an output item stored earlier by its id ("msg_…", "fc_…"): its JSON, or nullopt.
using ItemLookup = std::function<std::optional<std::string>(std::string_view item_id)>;

// Reads a Responses body. Errors: kInvalidJson, or kInvalidRequest with `param` naming the field
// (OpenAI's style: "input[2].content[0].type", "tools[1].type"). An `item_reference` input item
// is resolved with `lookup`; an unknown id (or no lookup) is a 400 naming it.
Result<ResponsesRequest> read_responses_request(std::string_view body,
                                                const ItemLookup& lookup = {});

// The Chat Completions body: model, messages (a system message from instructions, then
// `history_messages_json`, then the new input), the translated fields, and when streaming
// "stream": true with stream_options.include_usage.
// REQUIRES: history_messages_json is "" or a JSON array of Chat messages.
std::string responses_to_chat_body(const ResponsesRequest& request,
                                   std::string_view history_messages_json);

// Concatenates JSON arrays of Chat messages ("" counts as an empty array) into one array.
// REQUIRES: each is "" or a JSON array.
std::string concat_message_arrays(std::initializer_list<std::string_view> arrays);

}  // namespace accord
