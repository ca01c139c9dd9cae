#include "translate/anthropic_upstream_messages.h"

#include <simdjson.h>

#include <optional>
#include <string_view>
#include <vector>

#include "core/json_writer.h"

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

struct ChatMessage {
  std::string_view role;
  std::optional<dom::element> content, tool_calls;
  std::string_view tool_call_id;
};

Result<ChatMessage> read_message(dom::element m, const std::string& at) {
  auto message = aj::read_object(m, at);
  if (!message) return message.take_error();
  ChatMessage out;
  bool has_role = false;
  for (auto field : *message) {
    const std::string fat = aj::path(at, field.key);
    if (field.key == "role" || field.key == "tool_call_id") {
      auto s = aj::read_string(field.value, fat);
      if (!s) return s.take_error();
      (field.key == "role" ? out.role : out.tool_call_id) = *s;
      has_role = has_role || field.key == "role";
    } else if (field.key == "content") {
      if (!aj::is_null(field.value)) out.content = field.value;
    } else if (field.key == "tool_calls") {
      if (!aj::is_null(field.value)) out.tool_calls = field.value;
    } else if (field.key == "refusal") {
      if (!aj::is_null(field.value)) out.content = field.value;
    } else if (field.key != "name" && field.key != "reasoning_content") {
      return aj::untranslatable(fat, "not supported by an Anthropic upstream");
    }
  }
  if (!has_role) return aj::missing(aj::path(at, "role"));
  return out;
}

// Text of a content that may only hold text: a string or text (or refusal) parts, joined.
Result<std::string> read_text(const std::optional<dom::element>& content, const std::string& at) {
  if (!content) return std::string();
  std::string_view s;
  if (!content->get_string().get(s)) return std::string(s);
  dom::array parts;
  if (content->get_array().get(parts)) {
    return aj::wrong_type(at, "a string or an array of text parts", *content);
  }
  std::string text;
  size_t i = 0;
  for (dom::element p : parts) {
    const std::string pat = aj::path(at, i++);
    std::string_view type;
    if (p["type"].get_string().get(type) || (type != "text" && type != "refusal")) {
      return aj::untranslatable(aj::path(pat, "type"), "only text parts can be translated here");
    }
    if (p[type].get_string().get(s)) return aj::missing(aj::path(pat, type));
    text += s;
  }
  return text;
}

Status write_image(dom::element part, const std::string& at, JsonWriter& w) {
  std::string_view url;
  dom::element image;
  if (part["image_url"].get(image)) return aj::missing(aj::path(at, "image_url"));
  if (image.get_string().get(url) && image["url"].get_string().get(url)) {
    return aj::missing(aj::path(at, "image_url.url"));
  }
  w.begin_object().field("type", "image").key("source").begin_object();
  if (url.substr(0, 5) == "data:") {
    const size_t marker = url.find(";base64,");
    if (marker == std::string_view::npos) {
      return aj::untranslatable(aj::path(at, "image_url.url"),
                                "only base64 data: URLs can be translated");
    }
    w.field("type", "base64").field("media_type", url.substr(5, marker - 5));
    w.field("data", url.substr(marker + 8));
  } else {
    w.field("type", "url").field("url", url);
  }
  w.end_object().end_object();
  return Status();
}

Status write_user_content(const std::optional<dom::element>& content, const std::string& at,
                          JsonWriter& w) {
  std::string_view s;
  if (!content) return aj::missing(at);
  if (!content->get_string().get(s)) {
    w.value(s);
    return Status();
  }
  auto parts = aj::read_array(*content, at);
  if (!parts) return parts.take_error();
  w.begin_array();
  size_t i = 0;
  for (dom::element p : *parts) {
    const std::string pat = aj::path(at, i++);
    std::string_view type;
    if (p["type"].get_string().get(type)) return aj::missing(aj::path(pat, "type"));
    if (type == "text") {
      if (p["text"].get_string().get(s)) return aj::missing(aj::path(pat, "text"));
      if (!s.empty()) w.begin_object().field("type", "text").field("text", s).end_object();
    } else if (type == "image_url") {
      if (Status st = write_image(p, pat, w); !st) return st;
    } else {
      return aj::untranslatable(aj::path(pat, "type"),
                                "only text and image_url parts can be translated");
    }
  }
  w.end_array();
  return Status();
}

Status write_tool_uses(dom::element tool_calls, const std::string& at, dom::parser& parser,
                       JsonWriter& w) {
  auto calls = aj::read_array(tool_calls, at);
  if (!calls) return calls.take_error();
  size_t i = 0;
  for (dom::element c : *calls) {
    const std::string cat = aj::path(at, i++);
    std::string_view id, name, arguments;
    if (c["id"].get_string().get(id)) return aj::missing(aj::path(cat, "id"));
    std::string_view type = "function";
    dom::element tv;
    if (!c["type"].get(tv) && !aj::is_null(tv) && tv.get_string().get(type)) type = "";
    if (type != "function") {
      return aj::untranslatable(aj::path(cat, "type"), "only function tool calls");
    }
    if (c["function"]["name"].get_string().get(name)) {
      return aj::missing(aj::path(cat, "function.name"));
    }
    if (c["function"]["arguments"].get_string().get(arguments)) arguments = "";
    w.begin_object().field("type", "tool_use").field("id", id).field("name", name).key("input");
    if (arguments.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      w.begin_object().end_object();
    } else {
      dom::element input;
      if (parser.parse(arguments.data(), arguments.size()).get(input) ||
          input.type() != dom::element_type::OBJECT) {
        return aj::invalid(aj::path(cat, "function.arguments"),
                           aj::path(cat, "function.arguments") + ": expected a JSON object.");
      }
      w.raw(simdjson::minify(input));
    }
    w.end_object();
  }
  return Status();
}

}  // namespace

Result<AnthropicConversation> to_anthropic_conversation(dom::element messages) {
  auto list = aj::read_array(messages, "messages");
  if (!list) return list.take_error();
  std::vector<std::string> system;
  AnthropicConversation out;
  JsonWriter w(out.messages);
  w.begin_array();
  bool in_tool_results = false;  // a user message of tool_result blocks is open
  dom::parser arguments_parser;
  size_t i = 0;
  for (dom::element m : *list) {
    const std::string at = aj::path("messages", i++);
    auto message = read_message(m, at);
    if (!message) return message.take_error();
    const std::string cat = aj::path(at, "content");
    if (message->role != "tool" && in_tool_results) {
      w.end_array().end_object();
      in_tool_results = false;
    }
    if (message->role == "system" || message->role == "developer") {
      auto text = read_text(message->content, cat);
      if (!text) return text.take_error();
      if (!text->empty()) system.push_back(std::move(*text));  // Anthropic refuses empty text
    } else if (message->role == "user") {
      w.begin_object().field("role", "user").key("content");
      if (Status st = write_user_content(message->content, cat, w); !st) return st.take_error();
      w.end_object();
    } else if (message->role == "assistant") {
      auto text = read_text(message->content, cat);
      if (!text) return text.take_error();
      w.begin_object().field("role", "assistant").key("content").begin_array();
      if (!text->empty()) w.begin_object().field("type", "text").field("text", *text).end_object();
      if (message->tool_calls) {
        Status st =
            write_tool_uses(*message->tool_calls, aj::path(at, "tool_calls"), arguments_parser, w);
        if (!st) return st.take_error();
      }
      w.end_array().end_object();
    } else if (message->role == "tool") {
      if (message->tool_call_id.empty()) return aj::missing(aj::path(at, "tool_call_id"));
      auto text = read_text(message->content, cat);
      if (!text) return text.take_error();
      if (!in_tool_results) {
        w.begin_object().field("role", "user").key("content").begin_array();
        in_tool_results = true;
      }
      w.begin_object().field("type", "tool_result").field("tool_use_id", message->tool_call_id);
      w.field("content", *text).end_object();
    } else {
      return aj::invalid(aj::path(at, "role"),
                         aj::path(at, "role") +
                             ": expected 'system', 'developer', 'user', 'assistant' or 'tool'.");
    }
  }
  if (in_tool_results) w.end_array().end_object();
  w.end_array();
  if (i == 0) return aj::invalid("messages", "messages: at least one message is required.");
  if (system.size() == 1) {
    append_json_string(out.system, system[0]);
  } else if (!system.empty()) {
    JsonWriter sw(out.system);
    sw.begin_array();
    for (const std::string& text : system) {
      sw.begin_object().field("type", "text").field("text", text).end_object();
    }
    sw.end_array();
  }
  return out;
}

}  // namespace accord
