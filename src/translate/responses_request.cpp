#include "translate/responses_request.h"

#include <fmt/format.h>

#include "core/json_writer.h"
#include "translate/responses_internal.h"

namespace accord {

using namespace responses_detail;  // NOLINT(google-build-using-namespace)

namespace {

// Appends ,"key":raw to the Chat members.
void add_member(std::string& members, std::string_view key, std::string_view raw) {
  members.push_back(',');
  append_json_string(members, key);
  members.push_back(':');
  members.append(raw);
}

std::string json_string(std::string_view s) {
  std::string out;
  append_json_string(out, s);
  return out;
}

class RequestReader {
 public:
  RequestReader(ResponsesRequest& out, const ItemLookup& lookup) : out_(out), lookup_(lookup) {}

  Status read(dom::object root) {
    for (auto [key, value] : root) {
      if (Status s = read_field(key, value); !s) return s;
    }
    if (out_.model.empty()) return missing_param("model");
    if (!has_input_ && out_.previous_response_id.empty()) return missing_param("input");
    if (has_input_) {
      if (Status s = translate_input(input_, lookup_, out_.input_messages_json); !s) return s;
    } else {
      out_.input_messages_json = "[]";
    }
    finish_chat_fields();
    write_echo();
    return Status();
  }

 private:
  // A string or null; null leaves `raw` empty. `raw` receives the JSON string.
  Status optional_string(std::string_view key, dom::element v, std::string& raw) {
    if (is_null(v)) return Status();
    std::string_view s;
    if (v.get_string().get(s)) return wrong_type(key, "a string", v);
    raw = json_string(s);
    return Status();
  }

  Status optional_bool(std::string_view key, dom::element v, bool& out) {
    if (is_null(v)) return Status();
    if (v.get_bool().get(out)) return wrong_type(key, "a boolean", v);
    return Status();
  }

  Status optional_number(std::string_view key, dom::element v, std::string& raw) {
    if (is_null(v)) return Status();
    if (!v.is_number()) return wrong_type(key, "a number", v);
    raw = raw_json(v);
    return Status();
  }

  Status optional_count(std::string_view key, dom::element v, int64_t min, int64_t max,
                        std::optional<int64_t>& out) {
    if (is_null(v)) return Status();
    int64_t n = 0;
    if (v.get_int64().get(n)) return wrong_type(key, "an integer", v);
    if (n < min || n > max) {
      return invalid_param(std::string(key),
                           fmt::format("Invalid '{}': expected a value between {} and {}, but got "
                                       "{} instead.",
                                       key, min, max, n));
    }
    out = n;
    return Status();
  }

  // A field whose only translatable value is null (or an empty array).
  Status refuse_unless_empty(std::string_view key, dom::element v, std::string_view what) {
    dom::array a;
    if (is_null(v) || (!v.get_array().get(a) && a.size() == 0)) return Status();
    return not_translatable(std::string(key), what);
  }

  Status read_field(std::string_view key, dom::element v) {
    if (key == "model") {
      std::string_view s;
      if (v.get_string().get(s)) return wrong_type(key, "a string", v);
      out_.model = s;
      if (s.empty()) return invalid_param("model", "Invalid 'model': empty string.");
    } else if (key == "input") {
      if (!v.is_string() && !v.is_array()) {
        return wrong_type(key, "a string or an array of input items", v);
      }
      input_ = v;
      has_input_ = true;
    } else if (key == "instructions") {
      if (is_null(v)) return Status();
      std::string_view s;
      if (v.get_string().get(s)) return wrong_type(key, "a string", v);
      out_.instructions = std::string(s);
    } else if (key == "stream") {
      return optional_bool(key, v, out_.stream);
    } else if (key == "store") {
      return optional_bool(key, v, out_.store);
    } else if (key == "previous_response_id") {
      if (Status s = optional_string(key, v, previous_id_raw_); !s) return s;
      if (!previous_id_raw_.empty()) out_.previous_response_id = v.get_string().value_unsafe();
    } else if (key == "max_output_tokens") {
      return optional_count(key, v, 1, INT64_MAX, out_.max_output_tokens);
    } else if (key == "max_tool_calls") {
      // Caps built-in tool calls only, and accord refuses built-in tools: nothing to enforce.
      return optional_count(key, v, 0, INT64_MAX, max_tool_calls_);
    } else if (key == "top_logprobs") {
      return optional_count(key, v, 0, 20, top_logprobs_);
    } else if (key == "metadata") {
      return read_metadata(v);
    } else if (key == "temperature") {
      return optional_number(key, v, temperature_);
    } else if (key == "top_p") {
      return optional_number(key, v, top_p_);
    } else if (key == "parallel_tool_calls") {
      if (!is_null(v)) parallel_given_ = true;
      return optional_bool(key, v, parallel_tool_calls_);
    } else if (key == "tools") {
      if (is_null(v)) return Status();
      tools_echo_ = raw_json(v);
      return translate_tools(v, tools_chat_, tool_count_);
    } else if (key == "tool_choice") {
      if (is_null(v)) return Status();
      tool_choice_echo_ = raw_json(v);
      return translate_tool_choice(v, tool_choice_chat_);
    } else if (key == "text") {
      if (is_null(v)) return Status();
      return translate_text_config(v, text_echo_, response_format_, verbosity_);
    } else if (key == "truncation") {
      std::string raw;
      if (Status s = optional_string(key, v, raw); !s) return s;
      if (raw == "\"auto\"") return not_translatable("truncation", "'truncation': 'auto'");
      if (!raw.empty() && raw != "\"disabled\"") {
        return invalid_param("truncation",
                             "Invalid value for 'truncation': expected 'auto' or "
                             "'disabled'.");
      }
    } else if (key == "user") {
      return optional_string(key, v, user_);
    } else if (key == "service_tier") {
      if (Status s = optional_string(key, v, service_tier_raw_); !s) return s;
      if (!service_tier_raw_.empty()) out_.service_tier = v.get_string().value_unsafe();
    } else if (key == "prompt_cache_key") {
      return optional_string(key, v, prompt_cache_key_);
    } else if (key == "prompt_cache_retention") {
      return optional_string(key, v, prompt_cache_retention_);
    } else if (key == "safety_identifier") {
      return optional_string(key, v, safety_identifier_);
    } else if (key == "include") {
      return read_include(v);
    } else if (key == "reasoning") {
      return read_reasoning(v);
    } else if (key == "stream_options") {
      return read_stream_options(v);
    } else if (key == "background") {
      bool background = false;
      if (Status s = optional_bool(key, v, background); !s) return s;
      if (background) return not_translatable("background", "'background': true");
    } else if (key == "conversation") {
      if (!is_null(v)) return not_translatable("conversation", "The 'conversation' parameter");
    } else if (key == "prompt") {
      if (!is_null(v)) return not_translatable("prompt", "A 'prompt' template");
    } else if (key == "moderation") {
      if (!is_null(v)) return not_translatable("moderation", "The 'moderation' parameter");
    } else if (key == "prompt_cache_options") {
      if (!is_null(v)) return not_translatable(std::string(key), "'prompt_cache_options'");
    } else if (key == "context_management") {
      return refuse_unless_empty(key, v, "'context_management'");
    } else {
      return unknown_param(std::string(key));
    }
    return Status();
  }

  Status read_metadata(dom::element v) {
    if (is_null(v)) return Status();
    dom::object metadata;
    if (v.get_object().get(metadata)) return wrong_type("metadata", "an object", v);
    for (auto [key, value] : metadata) {
      if (!value.is_string()) {
        return wrong_type(fmt::format("metadata.{}", key), "a string", value);
      }
    }
    metadata_ = raw_json(v);
    return Status();
  }

  Status read_include(dom::element v) {
    if (is_null(v)) return Status();
    dom::array values;
    if (v.get_array().get(values)) return wrong_type("include", "an array", v);
    for (dom::element value : values) {
      std::string_view s;
      if (value.get_string().get(s)) return wrong_type("include", "an array of strings", value);
      if (s == "message.output_text.logprobs") {
        out_.include_logprobs = true;
      } else if (s != "reasoning.encrypted_content") {
        // (accord emits no reasoning items, so there is no reasoning content to leave out.)
        return not_translatable("include", fmt::format("include value '{}'", s));
      }
    }
    return Status();
  }

  Status read_reasoning(dom::element v) {
    if (is_null(v)) return Status();
    dom::object reasoning;
    if (v.get_object().get(reasoning)) return wrong_type("reasoning", "an object", v);
    for (auto [key, value] : reasoning) {
      const std::string param = fmt::format("reasoning.{}", key);
      if (key == "effort") {
        if (Status s = optional_string(param, value, reasoning_effort_); !s) return s;
      } else if (key == "summary" || key == "generate_summary") {
        if (!is_null(value)) return not_translatable(param, fmt::format("'{}'", param));
      } else {
        return unknown_param(param);
      }
    }
    return Status();
  }

  Status read_stream_options(dom::element v) {
    if (is_null(v)) return Status();
    dom::object options;
    if (v.get_object().get(options)) return wrong_type("stream_options", "an object", v);
    for (auto [key, value] : options) {
      const std::string param = fmt::format("stream_options.{}", key);
      bool obfuscate = false;  // accord's events carry no obfuscation padding either way
      if (key != "include_obfuscation") {
        return unknown_param(param);
      }
      if (Status s = optional_bool(param, value, obfuscate); !s) return s;
    }
    return Status();
  }

  void finish_chat_fields() {
    std::string& m = out_.chat_fields_json;
    // Chat refuses tool_choice and parallel_tool_calls without tools; with none, neither matters.
    if (tool_count_ > 0) {
      add_member(m, "tools", tools_chat_);
      if (!tool_choice_chat_.empty()) add_member(m, "tool_choice", tool_choice_chat_);
      if (parallel_given_) {
        add_member(m, "parallel_tool_calls", parallel_tool_calls_ ? "true" : "false");
      }
    }
    if (!response_format_.empty()) add_member(m, "response_format", response_format_);
    if (!verbosity_.empty()) add_member(m, "verbosity", verbosity_);
    if (!temperature_.empty()) add_member(m, "temperature", temperature_);
    if (!top_p_.empty()) add_member(m, "top_p", top_p_);
    if (out_.max_output_tokens) {
      add_member(m, "max_completion_tokens", std::to_string(*out_.max_output_tokens));
    }
    if (out_.include_logprobs) {
      add_member(m, "logprobs", "true");
      if (top_logprobs_) add_member(m, "top_logprobs", std::to_string(*top_logprobs_));
    }
    if (!reasoning_effort_.empty()) add_member(m, "reasoning_effort", reasoning_effort_);
    if (!user_.empty()) add_member(m, "user", user_);
    if (!service_tier_raw_.empty()) add_member(m, "service_tier", service_tier_raw_);
    if (!metadata_.empty()) add_member(m, "metadata", metadata_);
    if (!prompt_cache_key_.empty()) add_member(m, "prompt_cache_key", prompt_cache_key_);
    if (!prompt_cache_retention_.empty()) {
      add_member(m, "prompt_cache_retention", prompt_cache_retention_);
    }
    if (!safety_identifier_.empty()) add_member(m, "safety_identifier", safety_identifier_);
  }

  void write_echo() {
    auto or_default = [](const std::string& raw, std::string_view fallback) {
      return raw.empty() ? fallback : std::string_view(raw);
    };
    std::string obj;
    JsonWriter w(obj);
    w.begin_object();
    w.field("background", false);
    const std::string instructions = out_.instructions ? json_string(*out_.instructions) : "";
    auto count = [](const std::optional<int64_t>& n) { return n ? std::to_string(*n) : ""; };
    w.key("instructions").raw(or_default(instructions, "null"));
    w.key("max_output_tokens").raw(or_default(count(out_.max_output_tokens), "null"));
    w.key("max_tool_calls").raw(or_default(count(max_tool_calls_), "null"));
    w.field("parallel_tool_calls", parallel_tool_calls_);
    w.key("previous_response_id").raw(or_default(previous_id_raw_, "null"));
    w.key("prompt_cache_key").raw(or_default(prompt_cache_key_, "null"));
    w.key("prompt_cache_retention").raw(or_default(prompt_cache_retention_, "null"));
    w.key("reasoning").begin_object();
    w.key("effort").raw(or_default(reasoning_effort_, "null"));
    w.key("summary").null().end_object();
    w.key("safety_identifier").raw(or_default(safety_identifier_, "null"));
    w.field("store", out_.store);
    w.key("temperature").raw(or_default(temperature_, "1"));
    w.key("text").raw(or_default(text_echo_, R"({"format":{"type":"text"}})"));
    w.key("tool_choice").raw(or_default(tool_choice_echo_, R"("auto")"));
    w.key("tools").raw(or_default(tools_echo_, "[]"));
    w.field("top_logprobs", top_logprobs_.value_or(0));
    w.key("top_p").raw(or_default(top_p_, "1"));
    w.field("truncation", "disabled");
    w.key("user").raw(or_default(user_, "null"));
    w.key("metadata").raw(or_default(metadata_, "{}"));
    w.end_object();
    out_.echo_json = obj.substr(1, obj.size() - 2);
  }

  ResponsesRequest& out_;
  const ItemLookup& lookup_;
  dom::element input_;
  bool has_input_ = false;
  bool parallel_tool_calls_ = true;
  bool parallel_given_ = false;
  int64_t tool_count_ = 0;
  std::optional<int64_t> max_tool_calls_;
  std::optional<int64_t> top_logprobs_;
  // Raw JSON values; empty when absent or null.
  std::string previous_id_raw_, service_tier_raw_, temperature_, top_p_, metadata_, user_;
  std::string prompt_cache_key_, prompt_cache_retention_, safety_identifier_, reasoning_effort_;
  std::string tools_echo_, tools_chat_, tool_choice_echo_, tool_choice_chat_;
  std::string text_echo_, response_format_, verbosity_;
};

}  // namespace

Result<ResponsesRequest> read_responses_request(std::string_view body, const ItemLookup& lookup) {
  thread_local dom::parser parser;
  dom::element root;
  if (parser.parse(body.data(), body.size()).get(root)) return bad_json_body();
  dom::object object;
  if (root.get_object().get(object)) {
    return invalid_param("", "The request body must be a JSON object.");
  }
  ResponsesRequest request;
  RequestReader reader(request, lookup);
  if (Status s = reader.read(object); !s) return s.take_error();
  return request;
}

std::string responses_to_chat_body(const ResponsesRequest& request,
                                   std::string_view history_messages_json) {
  std::string out;
  out.reserve(64 + request.chat_fields_json.size() + history_messages_json.size() +
              request.input_messages_json.size());
  out.append("{\"model\":");
  append_json_string(out, request.model);
  out.append(",\"messages\":[");
  bool first = true;
  auto add = [&](std::string_view items) {
    if (items.empty()) return;
    if (!first) out.push_back(',');
    out.append(items);
    first = false;
  };
  if (request.instructions) {
    std::string system = "{\"role\":\"system\",\"content\":";
    append_json_string(system, *request.instructions);
    system.push_back('}');
    add(system);
  }
  add(array_items(history_messages_json));
  add(array_items(request.input_messages_json));
  out.push_back(']');
  out.append(request.chat_fields_json);
  if (request.stream) out.append(R"(,"stream":true,"stream_options":{"include_usage":true})");
  out.push_back('}');
  return out;
}

std::string concat_message_arrays(std::initializer_list<std::string_view> arrays) {
  std::string out = "[";
  for (std::string_view array : arrays) {
    const std::string_view items = array_items(array);
    if (items.empty()) continue;
    if (out.size() > 1) out.push_back(',');
    out.append(items);
  }
  out.push_back(']');
  return out;
}

}  // namespace accord
