#include "translate/anthropic_response.h"

#include <simdjson.h>

#include "core/json_writer.h"
#include "translate/anthropic_json.h"

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

// Writes one tool_use block from a chat tool call.
Status write_tool_use(dom::element call, dom::parser& arguments_parser, JsonWriter& w) {
  dom::object c;
  if (call.get_object().get(c)) return aj::bad_upstream("a tool call is not an object");
  dom::object function;
  if (c["function"].get_object().get(function)) {
    return aj::bad_upstream("a tool call has no function");
  }
  const std::string_view arguments = aj::string_or(function, "arguments", "");
  w.begin_object().field("type", "tool_use").field("id", aj::string_or(c, "id", ""));
  w.field("name", aj::string_or(function, "name", "")).key("input");
  if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    w.begin_object().end_object();
  } else {
    dom::element input;
    if (arguments_parser.parse(arguments.data(), arguments.size()).get(input) ||
        input.type() != dom::element_type::OBJECT) {
      return aj::bad_upstream("a tool call's arguments are not a JSON object");
    }
    w.raw(simdjson::minify(input));
  }
  w.end_object();
  return Status();
}

}  // namespace

Result<std::string> chat_to_message(std::string_view chat_json, std::string_view id,
                                    std::string_view model) {
  dom::parser parser;
  dom::element doc;
  dom::object root;
  if (parser.parse(chat_json.data(), chat_json.size()).get(doc) || doc.get_object().get(root)) {
    return aj::bad_upstream("not a JSON object");
  }
  dom::array choices;
  dom::object choice;
  if (root["choices"].get_array().get(choices) || choices.size() == 0 ||
      choices.at(0).get_object().get(choice)) {
    return aj::bad_upstream("no choices");
  }
  dom::object message;
  if (choice["message"].get_object().get(message)) return aj::bad_upstream("no message");

  std::string out;
  out.reserve(chat_json.size() + 256);
  JsonWriter w(out);
  w.begin_object().field("id", id).field("type", "message").field("role", "assistant");
  w.field("model", model).key("content").begin_array();
  std::string_view text = aj::string_or(message, "content", "");
  const std::string_view refusal = aj::string_or(message, "refusal", "");
  if (text.empty()) text = refusal;
  if (!text.empty()) w.begin_object().field("type", "text").field("text", text).end_object();
  dom::array calls;
  if (!message["tool_calls"].get_array().get(calls)) {
    dom::parser arguments_parser;
    for (dom::element call : calls) {
      if (Status st = write_tool_use(call, arguments_parser, w); !st) return st.take_error();
    }
  }
  w.end_array();

  const std::string_view finish = aj::string_or(choice, "finish_reason", "stop");
  std::string_view stop_reason = aj::anthropic_stop_reason(finish);
  const std::string_view matched = aj::string_or(choice, "stop_reason", "");
  if (!refusal.empty() && stop_reason == "end_turn") stop_reason = "refusal";
  const bool by_sequence = finish == "stop" && !matched.empty();
  w.field("stop_reason", by_sequence ? "stop_sequence" : stop_reason).key("stop_sequence");
  if (by_sequence) {
    w.value(matched);
  } else {
    w.null();
  }
  aj::ChatUsage usage;
  dom::element u;
  if (!root["usage"].get(u)) aj::read_chat_usage(u, usage);
  w.key("usage").begin_object();
  aj::write_anthropic_usage_fields(w, usage);
  w.end_object().end_object();
  return out;
}

}  // namespace accord
