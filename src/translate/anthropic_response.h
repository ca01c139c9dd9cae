// A Chat Completions answer from a backend, translated into Anthropic's Message for a client of
// POST /v1/messages (the stream's counterpart is translate/anthropic_stream.h).
//
// Message: {id, type:"message", role:"assistant", model, content:[text?, tool_use...],
// stop_reason, stop_sequence, usage}. The choice's text (or its refusal) becomes one text block;
// each tool call a tool_use block whose input is the call's arguments parsed (an empty string
// reads as {}; arguments that are not a JSON object fail the answer: Anthropic's input is an
// object, and a silent {} would run the tool wrongly). reasoning_content is dropped (the client
// did not ask for thinking, which cannot be requested through the translation).
//
// stop_reason: stop -> end_turn, length -> max_tokens, tool_calls / function_call -> tool_use,
// content_filter -> refusal. A backend that says which stop string ended the text (vLLM's
// choice.stop_reason, a string) gives stop_sequence with stop_sequence set; without that signal
// a stop is end_turn and stop_sequence is null.
//
// usage: input_tokens = prompt_tokens - cached_tokens (Anthropic counts cache reads apart from
// input), cache_read_input_tokens = prompt_tokens_details.cached_tokens,
// cache_creation_input_tokens = 0, output_tokens = completion_tokens.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

// `id` is the message id to give ("msg_..."), `model` the model as the client named it.
// Errors: kUpstreamError when `chat_json` is not a chat.completion with a choice.
Result<std::string> chat_to_message(std::string_view chat_json, std::string_view id,
                                    std::string_view model);

}  // namespace accord
