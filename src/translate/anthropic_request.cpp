#include "translate/anthropic_request.h"

#include <simdjson.h>

#include <optional>

#include "core/json_writer.h"
#include "translate/anthropic_content.h"
#include "translate/anthropic_json.h"

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

// The top-level fields read_messages_request understands, as found in the body.
struct Fields {
  std::optional<dom::element> model, messages, max_tokens, system, stop_sequences, temperature,
      top_p, top_k, tools, tool_choice, metadata, stream, thinking;
};

std::optional<dom::element>* slot(Fields& f, std::string_view key) {
  if (key == "model") return &f.model;
  if (key == "messages") return &f.messages;
  if (key == "max_tokens") return &f.max_tokens;
  if (key == "system") return &f.system;
  if (key == "stop_sequences") return &f.stop_sequences;
  if (key == "temperature") return &f.temperature;
  if (key == "top_p") return &f.top_p;
  if (key == "top_k") return &f.top_k;
  if (key == "tools") return &f.tools;
  if (key == "tool_choice") return &f.tool_choice;
  if (key == "metadata") return &f.metadata;
  if (key == "stream") return &f.stream;
  if (key == "thinking") return &f.thinking;
  return nullptr;
}

// Hints that change nothing a Chat Completions backend could honour.
bool advisory(std::string_view key) {
  return key == "cache_control" || key == "service_tier";
}

Status write_number(const std::optional<dom::element>& v, std::string_view key,
                    std::string_view chat_key, JsonWriter& w) {
  if (!v || aj::is_null(*v)) return Status();
  if (!aj::is_number(*v)) return aj::wrong_type(std::string(key), "a number", *v);
  w.key(chat_key).raw(simdjson::minify(*v));
  return Status();
}

Status write_stop(dom::element v, JsonWriter& w) {
  if (aj::is_null(v)) return Status();
  auto list = aj::read_array(v, "stop_sequences");
  if (!list) return list.take_error();
  w.key("stop").begin_array();
  size_t i = 0;
  for (dom::element s : *list) {
    auto text = aj::read_string(s, aj::path("stop_sequences", i++));
    if (!text) return text.take_error();
    w.value(*text);
  }
  w.end_array();
  return Status();
}

Status write_tool(dom::element t, const std::string& at, JsonWriter& w) {
  auto tool = aj::read_object(t, at);
  if (!tool) return tool.take_error();
  std::optional<std::string_view> name, description;
  std::optional<dom::element> schema;
  std::optional<bool> strict;
  for (auto field : *tool) {
    const std::string fat = aj::path(at, field.key);
    if (field.key == "cache_control" || field.key == "eager_input_streaming") continue;
    if (field.key == "name" || field.key == "description") {
      auto s = aj::read_string(field.value, fat);
      if (!s) return s.take_error();
      (field.key == "name" ? name : description) = *s;
    } else if (field.key == "input_schema") {
      auto o = aj::read_object(field.value, fat);
      if (!o) return o.take_error();
      schema = field.value;
    } else if (field.key == "strict") {
      auto b = aj::read_bool(field.value, fat);
      if (!b) return b.take_error();
      strict = *b;
    } else if (field.key == "type") {
      if (aj::is_null(field.value)) continue;
      auto type = aj::read_string(field.value, fat);
      if (!type) return type.take_error();
      if (*type != "custom") {
        return aj::untranslatable(fat, "server tools cannot be translated; only custom tools");
      }
    } else {
      return aj::unknown_field(fat);
    }
  }
  if (!name) return aj::missing(aj::path(at, "name"));
  if (!schema) return aj::missing(aj::path(at, "input_schema"));
  w.begin_object().field("type", "function").key("function").begin_object();
  w.field("name", *name);
  if (description) w.field("description", *description);
  w.key("parameters").raw(simdjson::minify(*schema));
  if (strict) w.field("strict", *strict);
  w.end_object().end_object();
  return Status();
}

Status write_tool_choice(dom::element v, JsonWriter& w) {
  auto choice = aj::read_object(v, "tool_choice");
  if (!choice) return choice.take_error();
  std::optional<std::string_view> type, name;
  bool no_parallel = false;
  for (auto field : *choice) {
    const std::string fat = aj::path("tool_choice", field.key);
    if (field.key == "type" || field.key == "name") {
      auto s = aj::read_string(field.value, fat);
      if (!s) return s.take_error();
      (field.key == "type" ? type : name) = *s;
    } else if (field.key == "disable_parallel_tool_use") {
      auto b = aj::read_bool(field.value, fat);
      if (!b) return b.take_error();
      no_parallel = *b;
    } else {
      return aj::unknown_field(fat);
    }
  }
  if (!type) return aj::missing("tool_choice.type");
  w.key("tool_choice");
  if (*type == "auto") {
    w.value("auto");
  } else if (*type == "any") {
    w.value("required");
  } else if (*type == "none") {
    w.value("none");
  } else if (*type == "tool") {
    if (!name) return aj::missing("tool_choice.name");
    w.begin_object().field("type", "function").key("function").begin_object();
    w.field("name", *name).end_object().end_object();
  } else {
    return aj::invalid("tool_choice.type",
                       "tool_choice.type: expected 'auto', 'any', 'tool' or 'none'.");
  }
  if (no_parallel) w.field("parallel_tool_calls", false);
  return Status();
}

Status write_user(dom::element v, JsonWriter& w) {
  if (aj::is_null(v)) return Status();
  auto metadata = aj::read_object(v, "metadata");
  if (!metadata) return metadata.take_error();
  for (auto field : *metadata) {
    if (field.key != "user_id") return aj::unknown_field(aj::path("metadata", field.key));
    if (aj::is_null(field.value)) continue;
    auto user = aj::read_string(field.value, "metadata.user_id");
    if (!user) return user.take_error();
    w.field("user", *user);
  }
  return Status();
}

Status check_thinking(dom::element v) {
  auto thinking = aj::read_object(v, "thinking");
  if (!thinking) return thinking.take_error();
  std::string_view type;
  if ((*thinking)["type"].get_string().get(type) || type != "disabled") {
    return aj::untranslatable("thinking",
                              "extended thinking cannot be translated for this model's backend");
  }
  return Status();
}

}  // namespace

Result<MessagesRequest> read_messages_request(std::string_view body) {
  dom::parser parser;
  auto root = aj::parse_object(parser, body);
  if (!root) return root.take_error();
  Fields f;
  for (auto field : *root) {
    if (std::optional<dom::element>* s = slot(f, field.key)) {
      *s = field.value;
    } else if (!advisory(field.key)) {
      return aj::untranslatable(std::string(field.key),
                                "not supported: accord serves this model through Chat "
                                "Completions, which has no counterpart for it");
    }
  }
  MessagesRequest out;
  if (!f.model) return aj::missing("model");
  auto model = aj::read_string(*f.model, "model");
  if (!model) return model.take_error();
  out.model = *model;
  if (!f.max_tokens) return aj::missing("max_tokens");
  auto max_tokens = aj::read_int(*f.max_tokens, "max_tokens");
  if (!max_tokens) return max_tokens.take_error();
  if (*max_tokens < 1) return aj::invalid("max_tokens", "max_tokens: must be at least 1.");
  out.max_tokens = *max_tokens;
  if (f.stream && !aj::is_null(*f.stream)) {
    auto stream = aj::read_bool(*f.stream, "stream");
    if (!stream) return stream.take_error();
    out.stream = *stream;
  }
  if (f.thinking && !aj::is_null(*f.thinking)) {
    if (Status st = check_thinking(*f.thinking); !st) return st.take_error();
  }
  if (!f.messages) return aj::missing("messages");

  std::string& chat = out.chat_body;
  chat.reserve(body.size() + 256);
  JsonWriter w(chat);
  w.begin_object().field("model", out.model).key("messages").begin_array();
  auto written = write_chat_messages(f.system, *f.messages, w);
  if (!written) return written.take_error();
  w.end_array();
  if (written->ends_with_assistant) {
    w.field("continue_final_message", true).field("add_generation_prompt", false);
  }
  w.field("max_completion_tokens", out.max_tokens);
  if (f.stop_sequences) {
    if (Status st = write_stop(*f.stop_sequences, w); !st) return st.take_error();
  }
  for (auto [v, key] : {std::pair{&f.temperature, "temperature"}, std::pair{&f.top_p, "top_p"}}) {
    if (Status st = write_number(*v, key, key, w); !st) return st.take_error();
  }
  if (f.top_k && !aj::is_null(*f.top_k)) {
    auto top_k = aj::read_int(*f.top_k, "top_k");
    if (!top_k) return top_k.take_error();
    w.field("top_k", *top_k);
  }
  if (f.tools && !aj::is_null(*f.tools)) {
    auto tools = aj::read_array(*f.tools, "tools");
    if (!tools) return tools.take_error();
    if (tools->size() > 0) {
      w.key("tools").begin_array();
      size_t i = 0;
      for (dom::element t : *tools) {
        if (Status st = write_tool(t, aj::path("tools", i++), w); !st) return st.take_error();
      }
      w.end_array();
    }
  }
  if (f.tool_choice && !aj::is_null(*f.tool_choice)) {
    if (Status st = write_tool_choice(*f.tool_choice, w); !st) return st.take_error();
  }
  if (f.metadata) {
    if (Status st = write_user(*f.metadata, w); !st) return st.take_error();
  }
  if (out.stream) {
    w.field("stream", true).key("stream_options").begin_object();
    w.field("include_usage", true).end_object();
  }
  w.end_object();
  return out;
}

}  // namespace accord
