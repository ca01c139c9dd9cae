#include "backend/anthropic_answers.h"

#include "translate/anthropic_error.h"

namespace accord {

AnthropicAnswers::AnthropicAnswers(std::string id, std::string model, int64_t created)
    : id_(std::move(id)),
      model_(std::move(model)),
      created_(created),
      stream_(id_, model_, created) {}

Result<std::string> AnthropicAnswers::whole(std::string_view body) {
  return message_to_chat(body, id_, model_, created_);
}

Error AnthropicAnswers::refusal(std::string_view body, int status) {
  return error_from_anthropic(body, status);
}

Status AnthropicAnswers::stream_event(std::string_view data, std::string& out) {
  return stream_.on_event(data, out);
}

std::string AnthropicAnswers::native_error_body(const Error& error) {
  return anthropic_error_body(error);
}

std::string AnthropicAnswers::native_error_event(const Error& error) {
  return anthropic_error_event(error);
}

}  // namespace accord
