// The pieces of an OpenAI Response object that the whole-answer translator
// (translate/responses_response.h) and the stream translator (translate/responses_stream.h) both
// write: its identity and echo, its usage, its output items, and the assistant's answer as Chat
// messages for the conversation store.
//
// Output item ids are derived from the response id ("msg_<suffix>_<n>", "fc_<suffix>_<n>"), so
// they are unique whenever response ids are, and a later `item_reference` can name them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

class JsonWriter;
struct ResponsesRequest;

// What a Response object says of itself and echoes of its request. Built once per request by
// make_response_meta(); read-only afterwards.
struct ResponseMeta {
  std::string id;            // "resp_…", chosen by the caller; unique
  int64_t created_at = 0;    // Unix seconds
  std::string model;         // as the client named it
  std::string service_tier;  // as asked ("" if not); the upstream's own answer takes precedence
  bool include_logprobs = false;  // include: ["message.output_text.logprobs"]
  std::string echo_json;          // ResponsesRequest::echo_json
};

ResponseMeta make_response_meta(const ResponsesRequest& request, std::string id,
                                int64_t created_at);

// Token counts, read from a Chat Completion's usage.
struct ResponseUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
  int64_t total_tokens = 0;
  int64_t cached_tokens = 0;     // prompt_tokens_details.cached_tokens
  int64_t reasoning_tokens = 0;  // completion_tokens_details.reasoning_tokens
  bool reported = false;         // the upstream sent a usage object
};

// One output item of a finished response, as the caller stores it for `item_reference`.
struct OutputItem {
  std::string id;
  std::string json;  // the item as it appears in the Response's "output"
};

// An error as the Responses API reports it (the error event, a failed Response): OpenAI's error
// fields. to_response_error() (translate/responses_error.h) fills them from an accord Error.
struct ResponseError {
  std::string type;  // invalid_request_error, server_error, ...
  std::string code;  // "" → null in the error event, "server_error" in the Response
  std::string message;
  std::string param;  // "" → null
};

// The variable part of a Response object.
struct ResponseState {
  std::string_view status = "in_progress";  // in_progress, completed, incomplete, failed
  std::string_view incomplete_reason;       // max_output_tokens, content_filter; "" → null
  std::string_view output_json = "[]";      // the "output" array
  const ResponseUsage* usage = nullptr;     // null → "usage": null
  const ResponseError* error = nullptr;     // null → "error": null
  std::string_view service_tier;            // "" → the meta's, else "auto"
};

// Appends the Response object (one JSON object).
void append_response(std::string& out, const ResponseMeta& meta, const ResponseState& state);

// The members of the stream's `error` event but for its type and sequence_number, in both shapes
// OpenAI has used: code/message/param at the top (its documented ResponseErrorEvent) and nested
// under "error" (what its servers sent, which openai-node throws as an APIError).
void write_error_event_members(JsonWriter& w, const ResponseError& error);

// "msg_<suffix>_<n>" where suffix is the response id without its "resp_".
std::string output_item_id(const ResponseMeta& meta, std::string_view prefix, int64_t n);

// A content part of an assistant message item.
struct OutputPart {
  bool refusal = false;  // a "refusal" part, else "output_text"
  std::string text;
  std::string logprobs_json;  // items of the logprobs array (no brackets), output_text only
};

void append_output_part(std::string& out, const OutputPart& part);
void append_message_item(std::string& out, std::string_view id, std::string_view status,
                         const std::vector<OutputPart>& parts);
void append_function_call_item(std::string& out, std::string_view id, std::string_view status,
                               std::string_view call_id, std::string_view name,
                               std::string_view arguments);

// A tool call of the assistant's answer, for the Chat message stored with the conversation.
struct AnsweredToolCall {
  std::string call_id;
  std::string name;
  std::string arguments;
};

// The assistant's answer as a JSON array holding one Chat message (content null when it had no
// text), ready to be appended to the conversation's history.
std::string assistant_messages_json(std::string_view text, std::string_view refusal,
                                    const std::vector<AnsweredToolCall>& tool_calls);

}  // namespace accord
