// The messages of a chat request as Anthropic's system and messages. Internal to
// translate/anthropic_upstream.cpp, whose header documents the mapping.
#pragma once

#include <string>

#include "core/result.h"
#include "translate/anthropic_json.h"

namespace accord {

struct AnthropicConversation {
  std::string system;    // serialized JSON (a string or text blocks); empty when none
  std::string messages;  // a serialized JSON array
};

Result<AnthropicConversation> to_anthropic_conversation(anthropic_json::dom::element messages);

}  // namespace accord
