// Reading the answers of an upstream that serves the Responses API itself, for a request relayed to
// it as received (a pool with native_apis: [responses]): the client gets those answers byte for
// byte; accord reads them only for the usage it bills, the stream's end, and the final Response it
// keeps for GET /v1/responses/{id}.
//
// usage: prompt_tokens = input_tokens, prompt_tokens_details.cached_tokens =
// input_tokens_details.cached_tokens, completion_tokens = output_tokens (reasoning included, as
// OpenAI bills it).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

// A Response object's usage as Chat Completions' usage-only chunk ({"choices":[],"usage":{...}}),
// or "{}" when it reports none. Errors: kUpstreamError when it is not a JSON object.
Result<std::string> response_usage_as_chat(std::string_view response_json);

// A Response object's "id"; "" when it has none (or is not JSON).
std::string read_response_id(std::string_view response_json);

// One event of a Responses stream, read.
struct RelayedResponseEvent {
  int64_t sequence_number = -1;  // -1: the event has none
  // response.completed, response.incomplete, response.failed: the stream's last event, with the
  // final Response (minified) and its usage as response_usage_as_chat() writes it.
  bool final = false;
  std::string response_json;
  std::string usage_chat_json;
};

// One event's data. Errors: kUpstreamError when it is not a JSON object with a "type", or when it
// is an `error` event (its message, as the upstream said it).
Result<RelayedResponseEvent> read_relayed_response_event(std::string_view data);

}  // namespace accord
