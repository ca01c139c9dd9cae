#include "openai/request_body.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "http/exchange.h"

namespace accord {

static_assert(kJsonPadding >= simdjson::SIMDJSON_PADDING);

namespace od = simdjson::ondemand;

namespace {

constexpr int64_t kMaxN = 128;
constexpr size_t kMaxStop = 4;

const char* json_type_name(od::json_type t) {
  switch (t) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "a value";
}

Error wrong_type(std::string_view field, std::string_view expected, od::value& v) {
  od::json_type t{};
  const char* got = v.type().get(t) ? "an invalid value" : json_type_name(t);
  return Error::client(
      ErrorKind::kInvalidRequest,
      fmt::format("Invalid type for '{}': expected {}, but got {} instead.", field, expected, got),
      std::string(field));
}

Error invalid_value(std::string_view field, std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message), std::string(field));
}

Error bad_json() {
  return Error::client(ErrorKind::kInvalidJson,
                       "We could not parse the JSON body of your request. (HINT: This likely "
                       "means you aren't using your HTTP library correctly. The OpenAI API "
                       "expects a JSON payload, but what was sent was not valid JSON.)");
}

// True for a JSON null. A malformed literal ("nul", "n_") is an error to simdjson, not a null
// (and not an exception): the caller's type check then refuses it.
bool is_null(od::value& v) {
  bool null = false;
  return v.is_null().get(null) == simdjson::SUCCESS && null;
}

// Reads a non-negative integer field; null counts as absent.
Result<std::optional<int64_t>> read_count(std::string_view field, od::value& v) {
  if (is_null(v)) return std::optional<int64_t>();
  int64_t n = 0;
  if (v.get_int64().get(n)) return wrong_type(field, "an integer", v);
  return std::optional<int64_t>(n);
}

class Reader {
 public:
  Reader(const std::string& body, RequestBody& out) : body_(body), out_(out) {}

  void add_text(std::string_view text) {
    out_.prompt_bytes += static_cast<int64_t>(text.size());
    out_.prompt_hash = fnv1a(text, out_.prompt_hash);
  }

  // A chat message's content: a string, null, or an array of parts ({type, text} / images).
  Status read_content(od::value& content) {
    if (is_null(content)) return Status();
    std::string_view text;
    if (!content.get_string().get(text)) {
      add_text(text);
      return Status();
    }
    od::array parts;
    if (content.get_array().get(parts)) {
      return wrong_type("messages.content", "a string or an array of content parts", content);
    }
    for (auto part_result : parts) {
      od::object part;
      if (part_result.get_object().get(part)) {
        return invalid_value("messages.content", "Each content part must be an object.");
      }
      for (auto field : part) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return bad_json();
        od::value v = field.value();
        if (key == "text") {
          if (v.get_string().get(text)) return wrong_type("messages.content.text", "a string", v);
          add_text(text);
        } else if (key == "image_url" || key == "input_audio" || key == "file") {
          out_.prompt_bytes += 4096;  // an upper bound for one attachment's tokens
        }
      }
    }
    return Status();
  }

  Status read_messages(od::value& v) {
    od::array messages;
    if (v.get_array().get(messages)) return wrong_type("messages", "an array", v);
    for (auto m : messages) {
      od::object message;
      if (m.get_object().get(message)) {
        return invalid_value("messages", "Each message must be an object.");
      }
      ++out_.prompt_parts;
      bool has_role = false;
      for (auto field : message) {
        std::string_view key;
        if (field.unescaped_key().get(key)) return bad_json();
        od::value value = field.value();
        if (key == "role") {
          std::string_view role;
          if (value.get_string().get(role)) return wrong_type("messages.role", "a string", value);
          has_role = true;
        } else if (key == "content") {
          if (Status s = read_content(value); !s) return s;
        } else {
          // name, tool_calls, tool_call_id, ...: their raw size bounds their tokens.
          out_.prompt_bytes += static_cast<int64_t>(raw_size(value));
        }
      }
      if (!has_role) {
        return invalid_value("messages.role", "Missing required parameter: 'messages.role'.");
      }
    }
    if (out_.prompt_parts == 0) {
      return invalid_value("messages",
                           "Invalid 'messages': empty array. Expected an array with minimum "
                           "length 1.");
    }
    return Status();
  }

  // completions' prompt: a string, an array of strings, an array of token ids, or an array of
  // arrays of token ids.
  Status read_prompt(od::value& v, std::string_view field) {
    std::string_view text;
    if (!v.get_string().get(text)) {
      ++out_.prompt_parts;
      add_text(text);
      if (out_.kind == ApiKind::kEmbedding) {
        out_.inputs.push_back({static_cast<int64_t>(text.size()), 0, fnv1a(text)});
      }
      return Status();
    }
    od::array items;
    if (v.get_array().get(items)) {
      return wrong_type(field, "a string or an array", v);
    }
    for (auto item : items) {
      od::value iv;
      if (item.get(iv)) return bad_json();
      int64_t token = 0;
      if (!iv.get_string().get(text)) {
        ++out_.prompt_parts;
        add_text(text);
        if (out_.kind == ApiKind::kEmbedding) {
          out_.inputs.push_back({static_cast<int64_t>(text.size()), 0, fnv1a(text)});
        }
      } else if (!iv.get_int64().get(token)) {
        if (out_.prompt_parts == 0) out_.prompt_parts = 1;
        ++out_.prompt_token_ids;
        out_.prompt_hash =
            fnv1a(std::string_view(reinterpret_cast<const char*>(&token), 8), out_.prompt_hash);
        if (out_.kind == ApiKind::kEmbedding) {
          if (out_.inputs.empty()) out_.inputs.push_back({});
          ++out_.inputs.back().tokens;
          out_.inputs.back().hash = out_.prompt_hash;
        }
      } else {
        od::array tokens;
        if (iv.get_array().get(tokens)) {
          return wrong_type(field, "strings or arrays of token ids", iv);
        }
        ++out_.prompt_parts;
        EmbeddingInput input;
        for (auto t : tokens) {
          if (t.get_int64().get(token)) {
            return invalid_value(field,
                                 fmt::format("Invalid '{}': token ids must be integers.", field));
          }
          ++input.tokens;
          input.hash = fnv1a(std::string_view(reinterpret_cast<const char*>(&token), 8),
                             input.hash == 0 ? 1469598103934665603ull : input.hash);
        }
        out_.prompt_token_ids += input.tokens;
        out_.prompt_hash ^= input.hash;
        if (out_.kind == ApiKind::kEmbedding) out_.inputs.push_back(input);
      }
    }
    if (out_.prompt_parts == 0) {
      return invalid_value(field, fmt::format("Invalid '{}': empty array.", field));
    }
    return Status();
  }

  Status read_stop(od::value& v) {
    if (is_null(v)) return Status();
    std::string_view s;
    if (!v.get_string().get(s)) {
      out_.stop.emplace_back(s);
      return Status();
    }
    od::array items;
    if (v.get_array().get(items)) return wrong_type("stop", "a string or an array of strings", v);
    for (auto item : items) {
      if (item.get_string().get(s)) {
        return invalid_value("stop", "Invalid 'stop': expected an array of strings.");
      }
      out_.stop.emplace_back(s);
    }
    if (out_.stop.size() > kMaxStop) {
      return invalid_value("stop", fmt::format("Invalid 'stop': array too long. Expected an array "
                                               "with maximum length {}, but got an array with "
                                               "length {} instead.",
                                               kMaxStop, out_.stop.size()));
    }
    return Status();
  }

  // stream_options: {"include_usage": bool}. Records how to make include_usage true upstream.
  Status read_stream_options(od::value& v) {
    const size_t at = offset_of(v);
    if (is_null(v)) {
      stream_options_null_ = true;
      stream_options_at_ = at;
      return Status();
    }
    od::object options;
    if (v.get_object().get(options)) return wrong_type("stream_options", "an object", v);
    stream_options_at_ = at;
    stream_options_present_ = true;
    for (auto field : options) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return bad_json();
      od::value value = field.value();
      ++stream_options_fields_;
      if (key == "include_usage") {
        include_usage_at_ = offset_of(value);
        if (is_null(value)) {
          include_usage_null_ = true;
          continue;
        }
        bool b = false;
        if (value.get_bool().get(b)) {
          return wrong_type("stream_options.include_usage", "a boolean", value);
        }
        out_.include_usage = b;
        include_usage_present_ = true;
      }
    }
    return Status();
  }

  void plan_usage_edit() {
    if (!out_.stream || out_.include_usage) return;
    BodyEdit e;
    if (include_usage_present_ || include_usage_null_) {
      // "false" → "true " and "null" → "true": the same length, nothing moves.
      e.offset = include_usage_at_;
      e.erase = include_usage_null_ ? 4 : 5;
      e.insert = include_usage_null_ ? "true" : "true ";
    } else if (stream_options_present_) {
      e.offset = stream_options_at_ + 1;  // just after '{'
      e.insert = stream_options_fields_ > 0 ? "\"include_usage\":true," : "\"include_usage\":true";
    } else if (stream_options_null_) {
      e.offset = stream_options_at_;
      e.erase = 4;
      e.insert = "{\"include_usage\":true}";
    } else {
      e.offset = object_start_ + 1;
      e.insert = "\"stream_options\":{\"include_usage\":true},";
    }
    out_.usage_edit = std::move(e);
  }

  size_t offset_of(od::value& v) {
    return static_cast<size_t>(v.raw_json_token().data() - body_.data());
  }

  static size_t raw_size(od::value& v) {
    od::array a;
    od::object o;
    std::string_view raw;
    if (!v.get_array().get(a) && !a.raw_json().get(raw)) return raw.size();
    if (!v.get_object().get(o) && !o.raw_json().get(raw)) return raw.size();
    return v.raw_json_token().size();
  }

  size_t object_start_ = 0;

 private:
  const std::string& body_;
  RequestBody& out_;
  size_t stream_options_at_ = 0;
  size_t include_usage_at_ = 0;
  int stream_options_fields_ = 0;
  bool stream_options_present_ = false;
  bool stream_options_null_ = false;
  bool include_usage_present_ = false;
  bool include_usage_null_ = false;
};

Status read_fields(od::object& object, Reader& reader, RequestBody& out) {
  bool has_messages = false, has_prompt = false;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return bad_json();
    od::value v;
    if (field.value().get(v)) return bad_json();
    if (key == "model") {
      std::string_view model;
      if (v.get_string().get(model)) return wrong_type("model", "a string", v);
      out.model.assign(model);
      // The token view runs to the next structural character; the string ends at its
      // closing quote (one not escaped by an odd run of backslashes).
      const std::string_view token = v.raw_json_token();
      out.model_offset = reader.offset_of(v);
      size_t end = 1;
      for (bool escaped = false; end < token.size(); ++end) {
        if (escaped) {
          escaped = false;
        } else if (token[end] == '\\') {
          escaped = true;
        } else if (token[end] == '"') {
          break;
        }
      }
      out.model_length = end + 1;
    } else if (key == "stream") {
      if (is_null(v)) continue;
      if (v.get_bool().get(out.stream)) return wrong_type("stream", "a boolean", v);
    } else if (key == "stream_options") {
      if (Status s = reader.read_stream_options(v); !s) return s;
    } else if (key == "max_tokens" || key == "max_completion_tokens") {
      auto n = read_count(key, v);
      if (!n.ok()) return n.take_error();
      if (n.value()) {
        if (*n.value() < 1) {
          return invalid_value(key, fmt::format("Invalid '{}': integer below minimum value. "
                                                "Expected a value >= 1, but got {} instead.",
                                                key, *n.value()));
        }
        out.max_tokens = n.value();
      }
    } else if (key == "n") {
      auto n = read_count("n", v);
      if (!n.ok()) return n.take_error();
      if (n.value()) {
        if (*n.value() < 1 || *n.value() > kMaxN) {
          return invalid_value("n", fmt::format("Invalid 'n': expected a value between 1 and {}, "
                                                "but got {} instead.",
                                                kMaxN, *n.value()));
        }
        out.n = *n.value();
      }
    } else if (key == "service_tier") {
      if (is_null(v)) continue;
      std::string_view tier;
      if (v.get_string().get(tier)) return wrong_type("service_tier", "a string", v);
      if (tier == "auto") {
        out.service_tier = ServiceTier::kAuto;
      } else if (tier == "default") {
        out.service_tier = ServiceTier::kDefault;
      } else if (tier == "priority") {
        out.service_tier = ServiceTier::kPriority;
      } else if (tier == "flex") {
        out.service_tier = ServiceTier::kFlex;
      } else {
        return invalid_value("service_tier",
                             fmt::format("Invalid 'service_tier': '{}' is not one of auto, "
                                         "default, priority, flex.",
                                         tier));
      }
    } else if (key == "stop") {
      if (Status s = reader.read_stop(v); !s) return s;
    } else if (key == "ignore_eos") {
      if (v.get_bool().get(out.ignore_eos)) return wrong_type("ignore_eos", "a boolean", v);
    } else if (key == "min_tokens") {
      auto n = read_count("min_tokens", v);
      if (!n.ok()) return n.take_error();
      out.min_tokens = n.value().value_or(0);
    } else if (key == "temperature" || key == "top_p" || key == "presence_penalty" ||
               key == "frequency_penalty") {
      double d = 0;
      if (!is_null(v) && v.get_double().get(d)) return wrong_type(key, "a number", v);
    } else if (key == "messages" && out.kind == ApiKind::kChat) {
      has_messages = true;
      if (Status s = reader.read_messages(v); !s) return s;
    } else if (key == "prompt" && out.kind == ApiKind::kCompletion) {
      has_prompt = true;
      if (Status s = reader.read_prompt(v, "prompt"); !s) return s;
    } else if (key == "input" && out.kind == ApiKind::kEmbedding) {
      has_prompt = true;
      if (Status s = reader.read_prompt(v, "input"); !s) return s;
    } else if (key == "encoding_format" && out.kind == ApiKind::kEmbedding) {
      std::string_view format;
      if (v.get_string().get(format)) return wrong_type("encoding_format", "a string", v);
      if (format != "float" && format != "base64") {
        return invalid_value(
            "encoding_format",
            fmt::format("Invalid 'encoding_format': '{}' is not float or base64.", format));
      }
      out.base64 = format == "base64";
    } else if (key == "dimensions" && out.kind == ApiKind::kEmbedding) {
      auto n = read_count("dimensions", v);
      if (!n.ok()) return n.take_error();
      if (n.value() && *n.value() < 1) {
        return invalid_value("dimensions", "Invalid 'dimensions': must be at least 1.");
      }
      out.dimensions = n.value();
    } else if (key == "tools" || key == "functions" || key == "response_format") {
      out.prompt_bytes += static_cast<int64_t>(Reader::raw_size(v));
    }
    // Anything else is passed through untouched.
  }
  if (out.model.empty()) {
    return invalid_value("model", "You must provide a model parameter.");
  }
  if (out.kind == ApiKind::kChat && !has_messages) {
    return invalid_value("messages", "Missing required parameter: 'messages'.");
  }
  if (out.kind == ApiKind::kCompletion && !has_prompt) {
    return invalid_value("prompt", "Missing required parameter: 'prompt'.");
  }
  if (out.kind == ApiKind::kEmbedding && !has_prompt) {
    return invalid_value("input", "Missing required parameter: 'input'.");
  }
  if (out.kind == ApiKind::kEmbedding && out.inputs.empty()) {
    out.inputs.push_back({out.prompt_bytes, out.prompt_token_ids, out.prompt_hash});
  }
  return Status();
}

}  // namespace

const char* to_string(ServiceTier tier) {
  switch (tier) {
    case ServiceTier::kAuto:
      return "auto";
    case ServiceTier::kDefault:
      return "default";
    case ServiceTier::kPriority:
      return "priority";
    case ServiceTier::kFlex:
      return "flex";
  }
  return "default";
}

uint64_t fnv1a(std::string_view data, uint64_t seed) {
  uint64_t h = seed;
  for (const char c : data) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

Result<RequestBody> read_request_body(const std::string& body, ApiKind kind) {
  thread_local od::parser parser;
  RequestBody out;
  out.kind = kind;
  if (body.capacity() < body.size() + simdjson::SIMDJSON_PADDING) return bad_json();
  od::document doc;
  if (parser.iterate(simdjson::padded_string_view(body.data(), body.size(), body.capacity()))
          .get(doc)) {
    return bad_json();
  }
  od::object object;
  if (doc.get_object().get(object)) {
    od::json_type t{};
    if (doc.type().get(t) || t == od::json_type::object) return bad_json();
    return Error::client(ErrorKind::kInvalidRequest,
                         fmt::format("The body must be a JSON object, not {}.", json_type_name(t)));
  }
  Reader reader(body, out);
  reader.object_start_ = body.find('{');
  if (Status s = read_fields(object, reader, out); !s) return s.take_error();
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) return bad_json();
  reader.plan_usage_edit();
  return out;
}

std::optional<BodyEdit> find_model_string(std::string_view json) {
  const simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc;
  od::object object;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(object)) return std::nullopt;
  for (auto field : object) {
    std::string_view key;
    od::value v;
    if (field.unescaped_key().get(key) || field.value().get(v)) return std::nullopt;
    if (key != "model") continue;
    std::string_view model;
    if (v.get_string().get(model)) return std::nullopt;
    const std::string_view token = v.raw_json_token();
    size_t end = 1;  // the closing quote: one not escaped by an odd run of backslashes
    for (bool escaped = false; end < token.size(); ++end) {
      if (escaped) {
        escaped = false;
      } else if (token[end] == '\\') {
        escaped = true;
      } else if (token[end] == '"') {
        break;
      }
    }
    BodyEdit edit;
    edit.offset = static_cast<size_t>(token.data() - padded.data());
    edit.erase = end + 1;
    return edit;
  }
  return std::nullopt;
}

std::string apply_edits(std::string_view body, const std::vector<const BodyEdit*>& edits) {
  std::string out;
  size_t grow = 0;
  for (const BodyEdit* e : edits) grow += e->insert.size();
  out.reserve(body.size() + grow + kJsonPadding);
  size_t at = 0;
  for (const BodyEdit* e : edits) {
    out.append(body.substr(at, e->offset - at));
    out.append(e->insert);
    at = e->offset + e->erase;
  }
  out.append(body.substr(at));
  return out;
}

}  // namespace accord
