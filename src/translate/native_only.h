// Requests that only their API's own upstreams can take. A Messages or Responses request that
// uses what the Chat Completions translation has no counterpart for (extended thinking, a
// built-in tool, reasoning summaries, a field newer than this gateway) is still served where a
// pool's upstreams speak that API: it is relayed there as received. On any other pool it is
// refused with the translation's own error, which names the field.
//
// The gateway's policy stages (entitlement, limits, scheduler, the ledger's estimate) read a
// Chat Completions body. For such a request it is the one native_only_chat_body() writes: the
// model, the output cap and whether it streams, with the whole request body as the prompt. That
// over-counts the prompt a little (an estimate, reconciled with the usage the upstream reports,
// which is what is billed).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/result.h"

namespace accord {

// The codes the translators give an error for a field they cannot carry ("unsupported_parameter")
// or do not know ("unknown_parameter"), as OpenAI's API names them.
inline constexpr std::string_view kUnsupportedParameter = "unsupported_parameter";
inline constexpr std::string_view kUnknownParameter = "unknown_parameter";

// Whether a translator's error says the request is one only the API's own upstreams can take
// (rather than one that is wrong in any API).
bool only_native_upstreams_take(const Error& translation_error);

// What the policy stages and the relay need of such a request.
struct NativeOnlyRequest {
  std::string chat_body;  // see above
  std::string model;
  bool stream = false;
  bool store = true;                 // the Responses API's "store" (OpenAI's default)
  std::string previous_response_id;  // the Responses API's, "" when none
};

// Reads the top-level fields of `body` that policy needs; `max_tokens_key` names the output cap
// ("max_tokens" for Messages, "max_output_tokens" for Responses; absent: none). Errors:
// kInvalidJson, or kInvalidRequest when "model" is missing or a field has the wrong type.
Result<NativeOnlyRequest> read_native_only_request(std::string_view body,
                                                   std::string_view max_tokens_key);

}  // namespace accord
