// AnthropicAnswers: an Anthropic upstream's answers as Chat Completions, for the forwarder
// (upstream/answer_translator.h): a Message as a chat.completion (message_to_chat), its stream
// as chat.completion.chunk events ending with a usage chunk and [DONE] (ChatFromMessagesStream),
// and its error bodies and events as accord Errors (error_from_anthropic), which the client gets
// in OpenAI's shape. One per request; not thread-safe.
#pragma once

#include <string>

#include "translate/anthropic_upstream_response.h"
#include "upstream/answer_translator.h"

namespace accord {

class AnthropicAnswers final : public AnswerTranslator {
 public:
  // `id`, `model` (as the client named it) and `created` (Unix seconds) go into every answer.
  AnthropicAnswers(std::string id, std::string model, int64_t created);

  Result<std::string> whole(std::string_view body) override;
  Error refusal(std::string_view body, int status) override;
  Status stream_event(std::string_view data, std::string& out) override;
  std::string native_error_body(const Error& error) override;
  std::string native_error_event(const Error& error) override;

 private:
  std::string id_;
  std::string model_;
  int64_t created_;
  ChatFromMessagesStream stream_;
};

}  // namespace accord
