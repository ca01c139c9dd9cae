// Anthropic's Messages API (POST /v1/messages) served from Chat Completions backends: a Messages
// request body translated into a Chat Completions body, checked field by field.
//
// What has no counterpart is refused with kInvalidRequest and `param` naming the field in
// Anthropic's dotted style ("messages.1.content.0.source.type"), never dropped silently: thinking
// (unless {"type":"disabled"}), document / search_result / thinking / server-tool blocks, file
// image sources, images inside tool results, server tools, and top-level fields such as
// container, mcp_servers, output_config. Advisory hints are ignored: cache_control (anywhere),
// citations on text blocks, service_tier, eager_input_streaming.
//
// Mapping: system -> a system message (text blocks joined by "\n"); tool_use blocks -> the
// assistant's tool_calls (input re-serialized as arguments); each tool_result -> a "tool" message
// (text blocks joined by "\n"; is_error prefixes "Error: "); images -> image_url parts (base64 as
// a data: URL); tools -> function tools (strict kept); tool_choice auto/any/tool/none ->
// "auto"/"required"/{function}/"none", disable_parallel_tool_use -> parallel_tool_calls: false;
// max_tokens -> max_completion_tokens; stop_sequences -> stop; temperature, top_p pass as given;
// top_k passes as "top_k" (vLLM and SGLang accept it; a backend that does not answers 400 naming
// it); metadata.user_id -> user; stream -> stream + stream_options.include_usage. A final
// assistant message (a prefill) adds vLLM's continue_final_message: true and
// add_generation_prompt: false, so the backend continues it rather than starting a new turn.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

struct MessagesRequest {
  std::string model;  // as the client named it; chat_body carries the same name
  bool stream = false;
  int64_t max_tokens = 0;
  std::string chat_body;  // the Chat Completions request, compact JSON
};

// Errors: kInvalidJson when `body` is not a JSON object; kInvalidRequest naming the field
// otherwise (a missing max_tokens is "max_tokens"). No padding needed: the body is copied.
Result<MessagesRequest> read_messages_request(std::string_view body);

}  // namespace accord
