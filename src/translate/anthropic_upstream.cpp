#include "translate/anthropic_upstream.h"

#include <simdjson.h>

#include <optional>

#include "core/json_writer.h"
#include "translate/anthropic_json.h"
#include "translate/anthropic_upstream_messages.h"

namespace accord {
namespace {

namespace aj = anthropic_json;
namespace dom = simdjson::dom;

struct ChatFields {
  std::optional<dom::element> messages, max_tokens, max_completion_tokens, stop, temperature, top_p,
      top_k, tools, tool_choice, parallel_tool_calls, stream, user;
};

std::optional<dom::element>* slot(ChatFields& f, std::string_view key) {
  if (key == "messages") return &f.messages;
  if (key == "max_tokens") return &f.max_tokens;
  if (key == "max_completion_tokens") return &f.max_completion_tokens;
  if (key == "stop") return &f.stop;
  if (key == "temperature") return &f.temperature;
  if (key == "top_p") return &f.top_p;
  if (key == "top_k") return &f.top_k;
  if (key == "tools") return &f.tools;
  if (key == "tool_choice") return &f.tool_choice;
  if (key == "parallel_tool_calls") return &f.parallel_tool_calls;
  if (key == "stream") return &f.stream;
  if (key == "user") return &f.user;
  return nullptr;
}

// Fields with no effect on an Anthropic upstream worth refusing a request for.
bool advisory(std::string_view key) {
  return key == "model" || key == "stream_options" || key == "store" || key == "seed" ||
         key == "service_tier" || key == "metadata" || key == "prompt_cache_key" ||
         key == "safety_identifier";
}

// Fields accepted at their neutral value only.
bool neutral(std::string_view key, dom::element v) {
  if (aj::is_null(v)) return true;
  double d = 0;
  bool b = false;
  std::string_view type;
  dom::object o;
  if (key == "n") return !v.get_double().get(d) && d == 1;
  if (key == "frequency_penalty" || key == "presence_penalty") {
    return !v.get_double().get(d) && d == 0;
  }
  if (key == "logprobs") return !v.get_bool().get(b) && !b;
  if (key == "top_logprobs") return !v.get_double().get(d) && d == 0;
  if (key == "logit_bias") return !v.get_object().get(o) && o.size() == 0;
  if (key == "response_format") return !v["type"].get_string().get(type) && type == "text";
  return false;
}

Result<int64_t> read_max_tokens(const ChatFields& f, int64_t fallback) {
  for (auto [v, key] : {std::pair{&f.max_completion_tokens, "max_completion_tokens"},
                        std::pair{&f.max_tokens, "max_tokens"}}) {
    if (!*v || aj::is_null(**v)) continue;
    auto n = aj::read_int(**v, key);
    if (!n) return n.take_error();
    if (*n < 1) return aj::invalid(key, std::string(key) + ": must be at least 1.");
    return *n;
  }
  return fallback;
}

Status write_stop(dom::element v, JsonWriter& w) {
  std::string_view s;
  if (!v.get_string().get(s)) {
    w.key("stop_sequences").begin_array().value(s).end_array();
    return Status();
  }
  dom::array list;
  if (v.get_array().get(list)) return aj::wrong_type("stop", "a string or an array", v);
  w.key("stop_sequences").begin_array();
  size_t i = 0;
  for (dom::element e : list) {
    auto text = aj::read_string(e, aj::path("stop", i++));
    if (!text) return text.take_error();
    w.value(*text);
  }
  w.end_array();
  return Status();
}

Status write_tools(dom::element v, JsonWriter& w) {
  auto tools = aj::read_array(v, "tools");
  if (!tools) return tools.take_error();
  w.key("tools").begin_array();
  size_t i = 0;
  for (dom::element t : *tools) {
    const std::string at = aj::path("tools", i++);
    std::string_view type, name, description;
    if (t["type"].get_string().get(type) || type != "function") {
      return aj::untranslatable(aj::path(at, "type"), "only function tools can be translated");
    }
    dom::object function;
    if (t["function"].get_object().get(function)) return aj::missing(aj::path(at, "function"));
    if (function["name"].get_string().get(name)) return aj::missing(aj::path(at, "function.name"));
    w.begin_object().field("name", name);
    if (!function["description"].get_string().get(description)) {
      w.field("description", description);
    }
    dom::object parameters;
    w.key("input_schema");
    if (!function["parameters"].get_object().get(parameters)) {
      w.raw(simdjson::minify(parameters));
    } else {
      w.raw(R"({"type":"object","properties":{}})");
    }
    bool strict = false;
    if (!function["strict"].get_bool().get(strict)) w.field("strict", strict);
    w.end_object();
  }
  w.end_array();
  return Status();
}

Status write_tool_choice(const ChatFields& f, bool has_tools, JsonWriter& w) {
  bool parallel = true;
  if (f.parallel_tool_calls && !aj::is_null(*f.parallel_tool_calls)) {
    auto b = aj::read_bool(*f.parallel_tool_calls, "parallel_tool_calls");
    if (!b) return b.take_error();
    parallel = *b;
  }
  std::string_view type = "auto";
  std::string_view name;
  if (f.tool_choice && !aj::is_null(*f.tool_choice)) {
    std::string_view s;
    if (!f.tool_choice->get_string().get(s)) {
      if (s == "required") {
        type = "any";
      } else if (s == "none" || s == "auto") {
        type = s;
      } else {
        return aj::invalid("tool_choice",
                           "tool_choice: expected 'none', 'auto', 'required' or an object.");
      }
    } else if ((*f.tool_choice)["function"]["name"].get_string().get(name)) {
      return aj::missing("tool_choice.function.name");
    } else {
      type = "tool";
    }
  } else if (parallel || !has_tools) {
    return Status();  // Anthropic's default is auto with parallel calls
  }
  if (!has_tools && (type == "none" || type == "auto")) return Status();  // needs tools there
  w.key("tool_choice").begin_object().field("type", type);
  if (type == "tool") w.field("name", name);
  if (!parallel && type != "none") w.field("disable_parallel_tool_use", true);
  w.end_object();
  return Status();
}

}  // namespace

Result<std::string> chat_to_messages_body(std::string_view chat_body,
                                          std::string_view upstream_model,
                                          int64_t default_max_tokens) {
  dom::parser parser;
  auto root = aj::parse_object(parser, chat_body);
  if (!root) return root.take_error();
  ChatFields f;
  for (auto field : *root) {
    if (std::optional<dom::element>* s = slot(f, field.key)) {
      *s = field.value;
    } else if (!advisory(field.key) && !neutral(field.key, field.value)) {
      return aj::untranslatable(std::string(field.key), "not supported by an Anthropic upstream");
    }
  }
  auto max_tokens = read_max_tokens(f, default_max_tokens);
  if (!max_tokens) return max_tokens.take_error();
  if (!f.messages) return aj::missing("messages");
  auto conversation = to_anthropic_conversation(*f.messages);
  if (!conversation) return conversation.take_error();

  std::string out;
  out.reserve(chat_body.size() + 256);
  JsonWriter w(out);
  w.begin_object().field("model", upstream_model).field("max_tokens", *max_tokens);
  if (!conversation->system.empty()) w.key("system").raw(conversation->system);
  w.key("messages").raw(conversation->messages);
  if (f.stop && !aj::is_null(*f.stop)) {
    if (Status st = write_stop(*f.stop, w); !st) return st.take_error();
  }
  for (auto [v, key] : {std::pair{&f.temperature, "temperature"}, std::pair{&f.top_p, "top_p"}}) {
    if (!*v || aj::is_null(**v)) continue;
    if (!aj::is_number(**v)) return aj::wrong_type(key, "a number", **v);
    w.key(key).raw(simdjson::minify(**v));
  }
  if (f.top_k && !aj::is_null(*f.top_k)) {
    auto top_k = aj::read_int(*f.top_k, "top_k");
    if (!top_k) return top_k.take_error();
    w.field("top_k", *top_k);
  }
  dom::array tools;
  const bool has_tools = f.tools && !f.tools->get_array().get(tools) && tools.size() > 0;
  if (f.tools && !aj::is_null(*f.tools) && (has_tools || f.tools->get_array().error())) {
    if (Status st = write_tools(*f.tools, w); !st) return st.take_error();
  }
  if (Status st = write_tool_choice(f, has_tools, w); !st) return st.take_error();
  if (f.user && !aj::is_null(*f.user)) {
    auto user = aj::read_string(*f.user, "user");
    if (!user) return user.take_error();
    w.key("metadata").begin_object().field("user_id", *user).end_object();
  }
  if (f.stream && !aj::is_null(*f.stream)) {
    auto stream = aj::read_bool(*f.stream, "stream");
    if (!stream) return stream.take_error();
    if (*stream) w.field("stream", true);
  }
  w.end_object();
  return out;
}

}  // namespace accord
