// The Responses "input" as Chat messages. Items map one to one, except that a function_call
// joins the assistant message right before it (Chat carries text and tool calls of one turn in
// one message, Responses in consecutive items), and an item_reference is replaced by the stored
// item it names.
#include <fmt/format.h>

#include <vector>

#include "core/json_writer.h"
#include "translate/responses_internal.h"

namespace accord::responses_detail {

namespace {

struct ChatMessage {
  explicit ChatMessage(std::string_view r, std::string c = "null")
      : role(r), content(std::move(c)) {}
  std::string_view role;
  std::string content;       // raw JSON
  std::string refusal;       // raw JSON string, "" when none
  std::string tool_calls;    // the tool_calls array's items, "" when none
  std::string tool_call_id;  // raw JSON string, "" when none
};

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

Status string_member(dom::object object, std::string_view key, const std::string& param,
                     std::string_view& out) {
  dom::element v;
  if (object[key].get(v)) return missing_param(param);
  if (v.get_string().get(out)) return wrong_type(param, "a string", v);
  return Status();
}

// The part's "type", which must be present.
Status part_type(dom::element part, const std::string& param, dom::object& object,
                 std::string_view& type) {
  if (part.get_object().get(object)) return wrong_type(param, "an object", part);
  return string_member(object, "type", param + ".type", type);
}

class InputTranslator {
 public:
  explicit InputTranslator(const ItemLookup& lookup) : lookup_(lookup) {}

  Status translate(dom::element input) {
    std::string_view text;
    if (!input.get_string().get(text)) {
      messages_.emplace_back("user", json_string(text));
      return Status();
    }
    dom::array items;
    if (input.get_array().get(items)) {
      return wrong_type("input", "a string or an array of input items", input);
    }
    size_t i = 0;
    for (dom::element item : items) {
      if (Status s = translate_item(fmt::format("input[{}]", i++), item, false); !s) return s;
    }
    return Status();
  }

  std::string to_json() const {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (const ChatMessage& m : messages_) {
      w.begin_object().field("role", m.role).key("content").raw(m.content);
      if (!m.refusal.empty()) w.key("refusal").raw(m.refusal);
      if (!m.tool_calls.empty()) w.key("tool_calls").raw("[" + m.tool_calls + "]");
      if (!m.tool_call_id.empty()) w.key("tool_call_id").raw(m.tool_call_id);
      w.end_object();
    }
    w.end_array();
    return out;
  }

 private:
  Status translate_item(const std::string& param, dom::element item, bool referenced) {
    dom::object object;
    if (item.get_object().get(object)) return wrong_type(param, "an object", item);
    std::string_view type = "message";  // an "easy" message has only role and content
    dom::element type_value;
    if (!object["type"].get(type_value) && type_value.get_string().get(type)) {
      return wrong_type(param + ".type", "a string", type_value);
    }
    if (type == "message") return message(param, object);
    if (type == "function_call") return function_call(param, object);
    if (type == "function_call_output") return function_call_output(param, object);
    if (type == "item_reference" && !referenced) return reference(param, object);
    return not_translatable(param + ".type", fmt::format("Input item type '{}'", type));
  }

  Status message(const std::string& param, dom::object item) {
    std::string_view role;
    if (Status s = string_member(item, "role", param + ".role", role); !s) return s;
    if (role != "user" && role != "system" && role != "developer" && role != "assistant") {
      return invalid_param(param + ".role",
                           fmt::format("Invalid value: '{}'. Supported values are: 'user', "
                                       "'assistant', 'system', and 'developer'.",
                                       role));
    }
    dom::element content;
    if (item["content"].get(content)) return missing_param(param + ".content");
    if (role == "assistant") return assistant_message(param + ".content", content);
    // Chat templates know "system"; OpenAI's Chat Completions treats the two alike.
    ChatMessage m(role == "user" ? "user" : "system");
    const std::string_view holder = role == "user" ? "" : "A system message";
    if (Status s = input_content(param + ".content", content, holder, m.content); !s) return s;
    messages_.push_back(std::move(m));
    return Status();
  }

  // A message's or a function_call_output's content: a string or input parts. `holder` names
  // what may hold text only ("" for a user message, which may hold media too).
  Status input_content(const std::string& param, dom::element content, std::string_view holder,
                       std::string& raw) {
    std::string_view text;
    if (!content.get_string().get(text)) {
      raw = json_string(text);
      return Status();
    }
    dom::array parts;
    if (content.get_array().get(parts)) {
      return wrong_type(param, "a string or an array of content parts", content);
    }
    raw.clear();
    JsonWriter w(raw);
    w.begin_array();
    size_t j = 0;
    std::string_view only_text;
    for (dom::element part : parts) {
      const std::string p = fmt::format("{}[{}]", param, j++);
      dom::object object;
      std::string_view type;
      if (Status s = part_type(part, p, object, type); !s) return s;
      if (type == "input_text") {
        if (Status s = string_member(object, "text", p + ".text", only_text); !s) return s;
        w.begin_object().field("type", "text").field("text", only_text).end_object();
      } else if (!holder.empty() &&
                 (type == "input_image" || type == "input_file" || type == "input_audio")) {
        return not_translatable(p + ".type", fmt::format("{}'s '{}' part", holder, type));
      } else if (type == "input_image") {
        if (Status s = image_part(p, object, w); !s) return s;
      } else if (type == "input_file") {
        if (Status s = file_part(p, object, w); !s) return s;
      } else if (type == "input_audio") {
        dom::element audio;
        if (object["input_audio"].get(audio)) return missing_param(p + ".input_audio");
        if (!audio.is_object()) return wrong_type(p + ".input_audio", "an object", audio);
        w.begin_object().field("type", "input_audio").key("input_audio").raw(raw_json(audio));
        w.end_object();
      } else {
        return invalid_param(p + ".type",
                             fmt::format("Invalid value: '{}'. Supported values are: "
                                         "'input_text', 'input_image', 'input_file' and "
                                         "'input_audio'.",
                                         type));
      }
    }
    w.end_array();
    if (j == 1 && raw.starts_with(R"([{"type":"text",)")) raw = json_string(only_text);
    return Status();
  }

  Status image_part(const std::string& p, dom::object part, JsonWriter& w) {
    std::string_view url, detail;
    dom::element v;
    if (!part["file_id"].get(v) && !is_null(v)) {
      return not_translatable(p + ".file_id", "An image given by 'file_id'");
    }
    if (Status s = string_member(part, "image_url", p + ".image_url", url); !s) return s;
    if (!part["detail"].get(v) && !is_null(v) && v.get_string().get(detail)) {
      return wrong_type(p + ".detail", "a string", v);
    }
    w.begin_object().field("type", "image_url").key("image_url").begin_object();
    w.field("url", url);
    if (!detail.empty()) w.field("detail", detail);
    w.end_object().end_object();
    return Status();
  }

  Status file_part(const std::string& p, dom::object part, JsonWriter& w) {
    dom::element v;
    for (std::string_view key : {"file_id", "file_url"}) {
      if (!part[key].get(v) && !is_null(v)) {
        return not_translatable(fmt::format("{}.{}", p, key),
                                fmt::format("A file given by '{}'", key));
      }
    }
    std::string_view data, filename;
    if (Status s = string_member(part, "file_data", p + ".file_data", data); !s) return s;
    if (!part["filename"].get(v) && !is_null(v) && v.get_string().get(filename)) {
      return wrong_type(p + ".filename", "a string", v);
    }
    w.begin_object().field("type", "file").key("file").begin_object();
    w.field("file_data", data);
    if (!filename.empty()) w.field("filename", filename);
    w.end_object().end_object();
    return Status();
  }

  // An assistant message's content (a string, or output_text / refusal parts) becomes one
  // string, as every Chat backend takes it.
  Status assistant_message(const std::string& param, dom::element content) {
    std::string text, refusal;
    bool has_refusal = false;
    std::string_view s;
    if (!content.get_string().get(s)) {
      text = s;
    } else if (!is_null(content)) {
      dom::array parts;
      if (content.get_array().get(parts)) {
        return wrong_type(param, "a string or an array of content parts", content);
      }
      size_t j = 0;
      for (dom::element part : parts) {
        const std::string p = fmt::format("{}[{}]", param, j++);
        dom::object object;
        std::string_view type;
        if (Status st = part_type(part, p, object, type); !st) return st;
        if (type == "output_text" || type == "input_text") {
          if (Status st = string_member(object, "text", p + ".text", s); !st) return st;
          text.append(s);
        } else if (type == "refusal") {
          if (Status st = string_member(object, "refusal", p + ".refusal", s); !st) return st;
          refusal.append(s);
          has_refusal = true;
        } else {
          return invalid_param(p + ".type",
                               fmt::format("Invalid value: '{}'. Supported values are: "
                                           "'output_text' and 'refusal'.",
                                           type));
        }
      }
    }
    ChatMessage m("assistant");
    if (!text.empty() || !has_refusal) m.content = json_string(text);
    if (has_refusal) m.refusal = json_string(refusal);
    messages_.push_back(std::move(m));
    return Status();
  }

  Status function_call(const std::string& param, dom::object item) {
    std::string_view call_id, name, arguments;
    if (Status s = string_member(item, "call_id", param + ".call_id", call_id); !s) return s;
    if (Status s = string_member(item, "name", param + ".name", name); !s) return s;
    if (Status s = string_member(item, "arguments", param + ".arguments", arguments); !s) {
      return s;
    }
    if (messages_.empty() || messages_.back().role != "assistant") {
      messages_.emplace_back("assistant");
    }
    std::string& calls = messages_.back().tool_calls;
    if (!calls.empty()) calls.push_back(',');
    JsonWriter w(calls);
    w.begin_object().field("id", call_id).field("type", "function").key("function");
    w.begin_object().field("name", name).field("arguments", arguments).end_object().end_object();
    return Status();
  }

  Status function_call_output(const std::string& param, dom::object item) {
    std::string_view call_id;
    if (Status s = string_member(item, "call_id", param + ".call_id", call_id); !s) return s;
    dom::element output;
    if (item["output"].get(output)) return missing_param(param + ".output");
    ChatMessage m("tool");
    m.tool_call_id = json_string(call_id);
    // Chat's tool messages hold text only.
    if (Status s = input_content(param + ".output", output, "A function_call_output", m.content);
        !s) {
      return s;
    }
    messages_.push_back(std::move(m));
    return Status();
  }

  Status reference(const std::string& param, dom::object item) {
    std::string_view id;
    if (Status s = string_member(item, "id", param + ".id", id); !s) return s;
    std::optional<std::string> stored;
    if (lookup_) stored = lookup_(id);
    if (!stored)
      return invalid_param(param + ".id", fmt::format("Item with id '{}' not found.", id));
    dom::element element;
    if (reference_parser_.parse(*stored).get(element)) {
      return Error::internal(ErrorKind::kInternal,
                             fmt::format("The stored item '{}' is not valid JSON.", id));
    }
    return translate_item(param, element, true);
  }

  const ItemLookup& lookup_;
  dom::parser reference_parser_;  // stored items, apart from the request's own document
  std::vector<ChatMessage> messages_;
};

}  // namespace

Status translate_input(dom::element input, const ItemLookup& lookup, std::string& messages_json) {
  InputTranslator translator(lookup);
  if (Status s = translator.translate(input); !s) return s;
  messages_json = translator.to_json();
  return Status();
}

}  // namespace accord::responses_detail
