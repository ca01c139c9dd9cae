// AnswerTranslator: how the answers of an upstream that speaks another API than Chat Completions
// (an Anthropic pool: backend/anthropic_backend.h) become what the chat client expects. The
// forwarder (upstream/forwarder.h) calls it where it would relay an OpenAI-compatible answer as
// received, so retries, health, usage and the stream's end work the same for every provider.
// One per request; not thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"
#include "core/result.h"
#include "runtime/asio.h"

namespace accord {

class AnswerTranslator {
 public:
  virtual ~AnswerTranslator() = default;
  // A whole 2xx answer as a chat.completion (with its usage). Errors: it is not an answer; the
  // attempt failed (and another endpoint may be tried).
  virtual Result<std::string> whole(std::string_view body) = 0;
  // A non-2xx answer (its body and status) as the error the client gets in OpenAI's shape.
  virtual Error refusal(std::string_view body, int status) = 0;
  // One event's data of a streamed answer, as chat.completion.chunk events ("data: {...}\n\n")
  // appended to `out`: the last ones are a usage chunk (choices: []) and "data: [DONE]".
  // Errors: the upstream's error event, or data that is not an event.
  virtual Status stream_event(std::string_view data, std::string& out) = 0;
  // For an answer relayed as received (ForwardRequest::relay_answers): an error accord makes, as
  // the upstream's API writes it — a whole body, and a stream's error event.
  virtual std::string native_error_body(const Error& error) = 0;
  virtual std::string native_error_event(const Error& error) = 0;
  // For an answer relayed as received: called once it is whole and before its last bytes are
  // written (what the API keeps of it is kept here). Default: nothing.
  virtual asio::awaitable<void> before_final() { co_return; }
};

}  // namespace accord
