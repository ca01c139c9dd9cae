// A Chat Completions stream from a backend, translated into Anthropic's Messages stream events
// ("event: NAME\ndata: {...}\n\n") for a client of POST /v1/messages with stream: true.
//
// Sequence: message_start (the message with empty content; usage is 0 unless the first chunk
// carries usage) and a ping; for each block content_block_start, content_block_delta
// (text_delta, or input_json_delta with a tool call's argument fragments), content_block_stop;
// then message_delta {delta:{stop_reason, stop_sequence}, usage:{input_tokens, output_tokens,
// cache_*}} and message_stop. The chat stream sends its usage in a last chunk (choices: [])
// after the finish_reason chunk, so message_delta waits for that usage, or for [DONE] / finish().
// Text and tool calls become blocks in the order they arrive; the block open before a new one
// is stopped first. A late argument fragment for an earlier tool call (never seen from OpenAI
// or vLLM) is sent with that call's block index. Stop reasons and usage map as in
// translate/anthropic_response.h.
//
// One per response; not thread-safe. The caller owns `out` and sends what each call appends.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"

namespace accord {

class MessagesStream {
 public:
  // `id` is the message id ("msg_..."), `model` the model as the client named it.
  MessagesStream(std::string id, std::string model);
  ~MessagesStream();
  MessagesStream(MessagesStream&&) noexcept;
  MessagesStream& operator=(MessagesStream&&) noexcept;

  // message_start and a ping. Optional: the first on_chunk() writes them when not yet written.
  void begin(std::string& out);
  // One chunk's data (without "data: "); "[DONE]" finishes. Errors (kUpstreamError) when the
  // data is not a chunk, or is an error object the backend sent mid-stream: the caller then
  // calls fail(). Chunks after the end are ignored.
  Status on_chunk(std::string_view data, std::string& out);
  // The backend's stream ended: stops the open block and writes message_delta and message_stop,
  // unless already done. A stream that never said why it stopped ends as end_turn.
  void finish(std::string& out);
  // Ends the stream with an error event (Anthropic's shape), unless already done.
  void fail(const Error& error, std::string& out);

  bool done() const;

 private:
  struct State;  // the translation's state (translate/anthropic_stream.cpp)
  std::unique_ptr<State> state_;
};

}  // namespace accord
