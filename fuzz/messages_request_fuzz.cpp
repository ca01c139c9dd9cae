// Fuzzes the Anthropic translators (translate/anthropic_*.h). The input is read as a Messages
// request and as a chat request; where one is accepted, the body it produces must be JSON that
// the chat reader (or the Messages reader) reads back the same way. Its lines are then fed as
// chat chunks to a MessagesStream and as Anthropic events to a ChatFromMessagesStream, and as
// whole answers to both answer translators: whatever they accept, what they write must be
// well-formed SSE events whose data are JSON objects.
#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/exchange.h"
#include "openai/request_body.h"
#include "translate/anthropic_error.h"
#include "translate/anthropic_request.h"
#include "translate/anthropic_response.h"
#include "translate/anthropic_stream.h"
#include "translate/anthropic_upstream.h"
#include "translate/anthropic_upstream_response.h"

namespace {

bool is_object(simdjson::dom::parser& parser, std::string_view json) {
  simdjson::dom::element doc;
  return !parser.parse(json.data(), json.size()).get(doc) &&
         doc.type() == simdjson::dom::element_type::OBJECT;
}

// Every event is "[event: NAME\n]data: JSON\n\n" (or data: [DONE]); traps otherwise.
void check_sse(simdjson::dom::parser& parser, std::string_view sse, bool named) {
  while (!sse.empty()) {
    const size_t end = sse.find("\n\n");
    if (end == std::string_view::npos) __builtin_trap();
    std::string_view event = sse.substr(0, end);
    sse.remove_prefix(end + 2);
    if (named) {
      if (event.substr(0, 7) != "event: ") __builtin_trap();
      const size_t nl = event.find('\n');
      if (nl == std::string_view::npos) __builtin_trap();
      event.remove_prefix(nl + 1);
    }
    if (event.substr(0, 6) != "data: ") __builtin_trap();
    event.remove_prefix(6);
    if (event != "[DONE]" && !is_object(parser, event)) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  simdjson::dom::parser parser;

  auto request = accord::read_messages_request(input);
  if (request.ok()) {
    if (!is_object(parser, request->chat_body)) __builtin_trap();
    std::string body = request->chat_body;
    body.reserve(body.size() + accord::kJsonPadding);
    auto chat = accord::read_request_body(body, accord::ApiKind::kChat);
    if (chat.ok() && (chat->model != request->model || chat->stream != request->stream ||
                      chat->max_tokens != request->max_tokens)) {
      __builtin_trap();
    }
  }
  auto upstream = accord::chat_to_messages_body(input, "upstream-\"model\"", 64);
  if (upstream.ok() && !is_object(parser, *upstream)) __builtin_trap();

  auto message = accord::chat_to_message(input, "msg_1", "m");
  if (message.ok() && !is_object(parser, *message)) __builtin_trap();
  auto completion = accord::message_to_chat(input, "chatcmpl-1", "m", 1);
  if (completion.ok() && !is_object(parser, *completion)) __builtin_trap();

  accord::MessagesStream messages("msg_1", "m");
  accord::ChatFromMessagesStream chunks("chatcmpl-1", "m", 1);
  std::string messages_out, chunks_out;
  std::string_view rest = input;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    const std::string_view line = rest.substr(0, nl);
    rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
    if (accord::Status st = messages.on_chunk(line, messages_out); !st) {
      messages.fail(st.error(), messages_out);
    }
    if (accord::Status st = chunks.on_event(line, chunks_out); !st) {
      chunks_out.append("data: ").append(accord::anthropic_error_body(st.error())).append("\n\n");
    }
  }
  messages.finish(messages_out);
  if (!messages.done()) __builtin_trap();
  check_sse(parser, messages_out, true);
  check_sse(parser, chunks_out, false);
  return 0;
}
