// The conversation part of a Messages request (system and messages) written as Chat Completions
// messages. Internal to translate/anthropic_request.cpp, which documents the mapping.
#pragma once

#include <optional>

#include "core/json_writer.h"
#include "core/result.h"
#include "translate/anthropic_json.h"

namespace accord {

struct ChatMessagesWritten {
  bool ends_with_assistant = false;  // the last message is a prefill to continue
};

// Appends the chat messages to `w`, which must be inside an array. `system` may be absent.
Result<ChatMessagesWritten> write_chat_messages(std::optional<anthropic_json::dom::element> system,
                                                anthropic_json::dom::element messages,
                                                JsonWriter& w);

}  // namespace accord
