// An Anthropic upstream's answer translated back into Chat Completions for the chat client (the
// request's direction is translate/anthropic_upstream.h).
//
// finish_reason: end_turn, stop_sequence, pause_turn -> stop; max_tokens and
// model_context_window_exceeded -> length; tool_use -> tool_calls; refusal -> content_filter.
// usage: prompt_tokens = input_tokens + cache_read_input_tokens + cache_creation_input_tokens,
// prompt_tokens_details.cached_tokens = cache_read_input_tokens, completion_tokens =
// output_tokens. Text blocks are joined into the message's content; tool_use blocks become
// tool_calls with input serialized as arguments; thinking and server-tool blocks are dropped
// (the translated request never asks for them).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

// A whole Message (JSON) as a chat.completion with the given id, model (as the client named
// it) and created (Unix seconds). Errors: kUpstreamError when it is not a Message.
Result<std::string> message_to_chat(std::string_view message_json, std::string_view id,
                                    std::string_view model, int64_t created);

// Anthropic's stream events as chat.completion.chunk data lines ("data: {...}\n\n"): the role in
// the first delta (at message_start), text deltas, tool calls by index (id and name first, then
// argument fragments), a chunk with finish_reason (at message_delta), then at message_stop a
// usage chunk with choices: [] and "data: [DONE]". The usage chunk is always written (usage is
// needed for accounting): a caller whose client did not ask for stream_options.include_usage
// drops it.
// One per response; not thread-safe.
class ChatFromMessagesStream {
 public:
  ChatFromMessagesStream(std::string id, std::string model, int64_t created);
  ~ChatFromMessagesStream();
  ChatFromMessagesStream(ChatFromMessagesStream&&) noexcept;
  ChatFromMessagesStream& operator=(ChatFromMessagesStream&&) noexcept;

  // One event's data (its "type" names the event, so the SSE event name is not needed).
  // Errors: the upstream's error event as an Error (error_from_anthropic), or kUpstreamError
  // when the data is not an event. Events after message_stop are ignored.
  Status on_event(std::string_view data, std::string& out);
  // True once message_stop was translated; a stream that ends before is a failed one.
  bool done() const;

 private:
  struct State;  // the translation's state (translate/anthropic_upstream_response.cpp)
  std::unique_ptr<State> state_;
};

}  // namespace accord
