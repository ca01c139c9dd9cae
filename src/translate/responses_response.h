// Serving POST /v1/responses from a Chat Completions backend, the answer half for a whole
// (non-streamed) completion: the Chat Completion becomes a Response object. The message's text
// (and refusal) becomes one message item, each tool call a function_call item; finish_reason
// "length" makes the response incomplete (reason max_output_tokens), "content_filter"
// incomplete (reason content_filter); usage maps prompt/completion tokens to input/output tokens
// with cached and reasoning tokens. Only the first choice is read (Responses has no `n`).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "translate/responses_object.h"

namespace accord {

struct TranslatedResponse {
  std::string body;                      // the Response object
  std::string output_messages_json;      // the answer as Chat messages, for the conversation store
  std::vector<OutputItem> output_items;  // for item_reference lookups
  ResponseUsage usage;
  bool incomplete = false;
};

// Errors: kUpstreamError when the completion is not JSON, has no choice, or carries an error.
Result<TranslatedResponse> chat_to_response(std::string_view chat_completion_json,
                                            const ResponseMeta& meta);

}  // namespace accord
