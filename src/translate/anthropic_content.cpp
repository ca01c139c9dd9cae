#include "translate/anthropic_content.h"

#include <simdjson.h>

#include <optional>
#include <string>
#include <vector>

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

// Block fields that only steer Anthropic's own caching or citation display.
bool advisory(std::string_view key) {
  return key == "cache_control" || key == "citations";
}

// A block: an object with a string "type", which is stored in `type`.
Result<dom::object> read_block(dom::element b, const std::string& at, std::string_view& type) {
  auto block = aj::read_object(b, at);
  if (!block) return block.take_error();
  dom::element tv;
  if ((*block)["type"].get(tv)) return aj::missing(aj::path(at, "type"));
  auto t = aj::read_string(tv, aj::path(at, "type"));
  if (!t) return t.take_error();
  type = *t;
  return block;
}

// A text block's text (the block's type already read).
Result<std::string_view> read_text_block(dom::object block, const std::string& at) {
  std::optional<std::string_view> text;
  for (auto field : block) {
    if (field.key == "type" || advisory(field.key)) continue;
    if (field.key != "text") return aj::unknown_field(aj::path(at, field.key));
    auto t = aj::read_string(field.value, aj::path(at, "text"));
    if (!t) return t.take_error();
    text = *t;
  }
  if (!text) return aj::missing(aj::path(at, "text"));
  return *text;
}

// A string, or an array of text blocks joined by "\n" (system, tool_result content).
Result<std::string> read_text(dom::element value, const std::string& at, std::string_view why) {
  std::string_view s;
  if (!value.get_string().get(s)) return std::string(s);
  dom::array blocks;
  if (value.get_array().get(blocks)) {
    return aj::wrong_type(at, "a string or an array of text blocks", value);
  }
  std::string text;
  size_t i = 0;
  for (dom::element b : blocks) {
    const std::string bat = aj::path(at, i++);
    std::string_view type;
    auto block = read_block(b, bat, type);
    if (!block) return block.take_error();
    if (type != "text") return aj::untranslatable(aj::path(bat, "type"), why);
    auto t = read_text_block(*block, bat);
    if (!t) return t.take_error();
    if (i > 1) text += '\n';
    text += *t;
  }
  return text;
}

// The required string `key` of `block`.
Result<std::string_view> required_string(dom::object block, std::string_view key,
                                         const std::string& at) {
  dom::element v;
  if (block[key].get(v)) return aj::missing(aj::path(at, key));
  return aj::read_string(v, aj::path(at, key));
}

// An image block's source as a URL for an image_url part.
Result<std::string> read_image_url(dom::object block, const std::string& at) {
  for (auto field : block) {
    if (field.key != "type" && field.key != "source" && !advisory(field.key)) {
      return aj::unknown_field(aj::path(at, field.key));
    }
  }
  const std::string sat = aj::path(at, "source");
  dom::element sv;
  if (block["source"].get(sv)) return aj::missing(sat);
  auto source = aj::read_object(sv, sat);
  if (!source) return source.take_error();
  auto type = required_string(*source, "type", sat);
  if (!type) return type.take_error();
  if (*type == "url") {
    auto url = required_string(*source, "url", sat);
    if (!url) return url.take_error();
    return std::string(*url);
  }
  if (*type != "base64") {
    return aj::untranslatable(aj::path(sat, "type"),
                              "only base64 and url image sources can be translated");
  }
  auto media_type = required_string(*source, "media_type", sat);
  if (!media_type) return media_type.take_error();
  auto data = required_string(*source, "data", sat);
  if (!data) return data.take_error();
  std::string url = "data:";
  url.append(*media_type).append(";base64,").append(*data);
  return url;
}

// One user chat message's parts between tool results: text and image_url parts in order.
class UserParts {
 public:
  void add_text(std::string_view text) { parts_.push_back({false, std::string(text)}); }
  void add_image(std::string url) { parts_.push_back({true, std::move(url)}); }

  // Writes the pending parts as one user message (a lone text part as a plain string).
  void flush(JsonWriter& w) {
    if (parts_.empty()) return;
    w.begin_object().field("role", "user").key("content");
    if (parts_.size() == 1 && !parts_[0].image) {
      w.value(parts_[0].text);
    } else {
      w.begin_array();
      for (const Part& p : parts_) {
        w.begin_object();
        if (p.image) {
          w.field("type", "image_url").key("image_url").begin_object();
          w.field("url", p.text).end_object();
        } else {
          w.field("type", "text").field("text", p.text);
        }
        w.end_object();
      }
      w.end_array();
    }
    w.end_object();
    parts_.clear();
  }

 private:
  struct Part {
    bool image;
    std::string text;  // the text, or the image's URL
  };
  std::vector<Part> parts_;
};

Status write_tool_result(dom::object block, const std::string& at, JsonWriter& w) {
  std::string_view id;
  std::string content;
  bool is_error = false;
  bool has_id = false;
  for (auto field : block) {
    const std::string fat = aj::path(at, field.key);
    if (field.key == "type" || advisory(field.key)) continue;
    if (field.key == "tool_use_id") {
      auto s = aj::read_string(field.value, fat);
      if (!s) return s.take_error();
      id = *s;
      has_id = true;
    } else if (field.key == "content") {
      auto text = read_text(field.value, fat, "tool results can only carry text here");
      if (!text) return text.take_error();
      content = std::move(*text);
    } else if (field.key == "is_error") {
      if (aj::is_null(field.value)) continue;
      auto b = aj::read_bool(field.value, fat);
      if (!b) return b.take_error();
      is_error = *b;
    } else {
      return aj::unknown_field(fat);
    }
  }
  if (!has_id) return aj::missing(aj::path(at, "tool_use_id"));
  if (is_error) content.insert(0, "Error: ");
  w.begin_object().field("role", "tool").field("tool_call_id", id).field("content", content);
  w.end_object();
  return Status();
}

// Appends one tool call object ({"id","type","function"}) to `calls`, a JsonWriter's array.
Status write_tool_use(dom::object block, const std::string& at, JsonWriter& calls) {
  std::string_view id;
  std::string_view name;
  std::string arguments;
  for (auto field : block) {
    const std::string fat = aj::path(at, field.key);
    if (field.key == "type" || advisory(field.key)) continue;
    if (field.key == "id" || field.key == "name") {
      auto s = aj::read_string(field.value, fat);
      if (!s) return s.take_error();
      (field.key == "id" ? id : name) = *s;
    } else if (field.key == "input") {
      auto input = aj::read_object(field.value, fat);
      if (!input) return input.take_error();
      arguments = simdjson::minify(*input);
    } else {
      return aj::unknown_field(fat);
    }
  }
  if (id.empty()) return aj::missing(aj::path(at, "id"));
  if (name.empty()) return aj::missing(aj::path(at, "name"));
  if (arguments.empty()) return aj::missing(aj::path(at, "input"));
  calls.begin_object().field("id", id).field("type", "function").key("function").begin_object();
  calls.field("name", name).field("arguments", arguments).end_object().end_object();
  return Status();
}

// A message's content that is not a string: a non-empty array of blocks.
Result<dom::array> read_blocks(dom::element content, const std::string& at) {
  dom::array blocks;
  if (content.get_array().get(blocks)) {
    return aj::wrong_type(at, "a string or an array of content blocks", content);
  }
  if (blocks.size() == 0) return aj::invalid(at, at + ": at least one content block is required.");
  return blocks;
}

Status write_user(dom::element content, const std::string& at, JsonWriter& w) {
  std::string_view s;
  if (!content.get_string().get(s)) {
    w.begin_object().field("role", "user").field("content", s).end_object();
    return Status();
  }
  auto blocks = read_blocks(content, at);
  if (!blocks) return blocks.take_error();
  UserParts parts;
  size_t i = 0;
  for (dom::element b : *blocks) {
    const std::string bat = aj::path(at, i++);
    std::string_view type;
    auto block = read_block(b, bat, type);
    if (!block) return block.take_error();
    if (type == "text") {
      auto t = read_text_block(*block, bat);
      if (!t) return t.take_error();
      parts.add_text(*t);
    } else if (type == "image") {
      auto url = read_image_url(*block, bat);
      if (!url) return url.take_error();
      parts.add_image(std::move(*url));
    } else if (type == "tool_result") {
      parts.flush(w);
      if (Status st = write_tool_result(*block, bat, w); !st) return st;
    } else {
      return aj::untranslatable(aj::path(bat, "type"),
                                "this block type cannot be translated for a user message");
    }
  }
  parts.flush(w);
  return Status();
}

Status write_assistant(dom::element content, const std::string& at, JsonWriter& w) {
  std::string text;
  std::string calls_json;
  JsonWriter calls(calls_json);
  calls.begin_array();
  bool has_calls = false;
  std::string_view s;
  if (!content.get_string().get(s)) {
    text = s;
  } else {
    auto blocks = read_blocks(content, at);
    if (!blocks) return blocks.take_error();
    size_t i = 0;
    for (dom::element b : *blocks) {
      const std::string bat = aj::path(at, i++);
      std::string_view type;
      auto block = read_block(b, bat, type);
      if (!block) return block.take_error();
      if (type == "text") {
        auto t = read_text_block(*block, bat);
        if (!t) return t.take_error();
        text += *t;
      } else if (type == "tool_use") {
        if (Status st = write_tool_use(*block, bat, calls); !st) return st;
        has_calls = true;
      } else {
        return aj::untranslatable(aj::path(bat, "type"),
                                  "this block type cannot be translated for an assistant message");
      }
    }
  }
  calls.end_array();
  w.begin_object().field("role", "assistant").key("content");
  if (text.empty() && has_calls) {
    w.null();
  } else {
    w.value(text);
  }
  if (has_calls) w.key("tool_calls").raw(calls_json);
  w.end_object();
  return Status();
}

}  // namespace

Result<ChatMessagesWritten> write_chat_messages(std::optional<dom::element> system,
                                                dom::element messages, JsonWriter& w) {
  if (system && !aj::is_null(*system)) {
    auto text = read_text(*system, "system", "system blocks can only be text");
    if (!text) return text.take_error();
    w.begin_object().field("role", "system").field("content", *text).end_object();
  }
  auto list = aj::read_array(messages, "messages");
  if (!list) return list.take_error();
  ChatMessagesWritten written;
  size_t i = 0;
  for (dom::element m : *list) {
    const std::string at = aj::path("messages", i++);
    auto message = aj::read_object(m, at);
    if (!message) return message.take_error();
    std::optional<std::string_view> role;
    std::optional<dom::element> content;
    for (auto field : *message) {
      if (field.key == "role") {
        auto r = aj::read_string(field.value, aj::path(at, "role"));
        if (!r) return r.take_error();
        role = *r;
      } else if (field.key == "content") {
        content = field.value;
      } else {
        return aj::unknown_field(aj::path(at, field.key));
      }
    }
    if (!role) return aj::missing(aj::path(at, "role"));
    if (!content) return aj::missing(aj::path(at, "content"));
    const std::string cat = aj::path(at, "content");
    Status st;
    if (*role == "user") {
      st = write_user(*content, cat, w);
    } else if (*role == "assistant") {
      st = write_assistant(*content, cat, w);
    } else {
      return aj::invalid(aj::path(at, "role"),
                         aj::path(at, "role") + ": expected 'user' or 'assistant'.");
    }
    if (!st) return st.take_error();
    written.ends_with_assistant = *role == "assistant";
  }
  if (i == 0) return aj::invalid("messages", "messages: at least one message is required.");
  return written;
}

}  // namespace accord
