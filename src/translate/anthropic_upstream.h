// Chat Completions requests relayed to an Anthropic upstream (a pool with provider: anthropic):
// the chat request body translated into a Messages request body. The answer's direction is in
// translate/anthropic_upstream_response.h.
//
// Mapping: system and developer messages -> the top-level system (one string, or text blocks
// when there are several); user content parts -> text / image blocks (a data: URL -> a base64
// source, any other URL -> a url source); an assistant's tool_calls -> tool_use blocks (arguments
// parsed into input; an empty string is {}); tool messages -> tool_result blocks in a user
// message, consecutive ones merged into one; max_completion_tokens (else max_tokens, else the
// caller's default) -> max_tokens; stop -> stop_sequences; temperature, top_p and top_k pass as
// given; tools -> {name, description, input_schema} (no parameters -> an empty object schema);
// tool_choice none/auto/required/{function} -> none/auto/any/tool; parallel_tool_calls: false ->
// disable_parallel_tool_use; user -> metadata.user_id; stream passes.
//
// Ignored as advisory: stream_options (the answer always ends with a usage chunk), store, seed,
// service_tier, metadata, prompt_cache_key, safety_identifier, a message's name, and fields at
// their neutral value (n 1, logprobs false, penalties 0, logit_bias {}, response_format text).
// Anything else is refused with kInvalidRequest naming the field ("messages.2.content.0.type").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

// `upstream_model` replaces the body's model. REQUIRES: default_max_tokens >= 1.
// Errors: kInvalidJson when `chat_body` is not a JSON object, else kInvalidRequest with `param`.
Result<std::string> chat_to_messages_body(std::string_view chat_body,
                                          std::string_view upstream_model,
                                          int64_t default_max_tokens);

}  // namespace accord
