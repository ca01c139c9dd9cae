#include "engine/openai_format.h"

#include <cstring>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "http/sse.h"

namespace accord {
namespace {

void write_usage(JsonWriter& w, const Usage& usage) {
  w.key("usage").begin_object();
  w.field("prompt_tokens", usage.prompt_tokens);
  w.field("completion_tokens", usage.completion_tokens);
  w.field("total_tokens", usage.prompt_tokens + usage.completion_tokens);
  w.end_object();
}

void write_head(JsonWriter& w, const ResponseMeta& meta, std::string_view object) {
  w.field("id", meta.id);
  w.field("object", object);
  w.field("created", meta.created);
  w.field("model", meta.model);
  w.field("service_tier", meta.service_tier);
  w.field("system_fingerprint", meta.system_fingerprint);
}

}  // namespace

void append_chat_completion(std::string& out, const ResponseMeta& meta,
                            std::span<const ChoiceText> choices, const Usage& usage) {
  JsonWriter w(out);
  w.begin_object();
  write_head(w, meta, "chat.completion");
  w.key("choices").begin_array();
  for (size_t i = 0; i < choices.size(); ++i) {
    w.begin_object();
    w.field("index", static_cast<int64_t>(i));
    w.key("message").begin_object();
    w.field("role", "assistant");
    w.field("content", choices[i].text);
    w.key("refusal").null();
    w.end_object();
    w.key("logprobs").null();
    w.field("finish_reason", choices[i].finish_reason);
    w.end_object();
  }
  w.end_array();
  write_usage(w, usage);
  w.end_object();
}

void append_text_completion(std::string& out, const ResponseMeta& meta,
                            std::span<const ChoiceText> choices, const Usage& usage) {
  JsonWriter w(out);
  w.begin_object();
  write_head(w, meta, "text_completion");
  w.key("choices").begin_array();
  for (size_t i = 0; i < choices.size(); ++i) {
    w.begin_object();
    w.field("text", choices[i].text);
    w.field("index", static_cast<int64_t>(i));
    w.key("logprobs").null();
    w.field("finish_reason", choices[i].finish_reason);
    w.end_object();
  }
  w.end_array();
  write_usage(w, usage);
  w.end_object();
}

void append_chat_chunk(std::string& out, const ResponseMeta& meta, int64_t index,
                       std::string_view content, bool role, const char* finish_reason,
                       bool include_usage) {
  out.append("data: ");
  JsonWriter w(out);
  w.begin_object();
  write_head(w, meta, "chat.completion.chunk");
  w.key("choices").begin_array().begin_object();
  w.field("index", index);
  w.key("delta").begin_object();
  if (role) {
    w.field("role", "assistant");
    w.field("content", content);
    w.key("refusal").null();
  } else if (finish_reason == nullptr) {
    w.field("content", content);
  }
  w.end_object();
  w.key("logprobs").null();
  w.key("finish_reason");
  if (finish_reason != nullptr) {
    w.value(finish_reason);
  } else {
    w.null();
  }
  w.end_object().end_array();
  if (include_usage) w.key("usage").null();
  w.end_object();
  out.append("\n\n");
}

void append_completion_chunk(std::string& out, const ResponseMeta& meta, int64_t index,
                             std::string_view text, const char* finish_reason, bool include_usage) {
  out.append("data: ");
  JsonWriter w(out);
  w.begin_object();
  write_head(w, meta, "text_completion");
  w.key("choices").begin_array().begin_object();
  w.field("text", text);
  w.field("index", index);
  w.key("logprobs").null();
  w.key("finish_reason");
  if (finish_reason != nullptr) {
    w.value(finish_reason);
  } else {
    w.null();
  }
  w.end_object().end_array();
  if (include_usage) w.key("usage").null();
  w.end_object();
  out.append("\n\n");
}

void append_usage_chunk(std::string& out, const ResponseMeta& meta, bool chat, const Usage& usage) {
  out.append("data: ");
  JsonWriter w(out);
  w.begin_object();
  write_head(w, meta, chat ? "chat.completion.chunk" : "text_completion");
  w.key("choices").begin_array().end_array();
  write_usage(w, usage);
  w.end_object();
  out.append("\n\n");
}

void append_embeddings(std::string& out, std::string_view model,
                       std::span<const std::vector<float>> vectors, bool base64,
                       int64_t prompt_tokens) {
  JsonWriter w(out);
  w.begin_object();
  w.field("object", "list");
  w.key("data").begin_array();
  for (size_t i = 0; i < vectors.size(); ++i) {
    w.begin_object();
    w.field("object", "embedding");
    w.field("index", static_cast<int64_t>(i));
    w.key("embedding");
    if (base64) {
      // Little-endian float32, as OpenAI encodes it.
      std::vector<uint8_t> bytes(vectors[i].size() * sizeof(float));
      std::memcpy(bytes.data(), vectors[i].data(), bytes.size());
      w.value(base64_encode(bytes));
    } else {
      w.begin_array();
      for (const float f : vectors[i]) w.value(f);
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.field("model", model);
  w.key("usage").begin_object();
  w.field("prompt_tokens", prompt_tokens);
  w.field("total_tokens", prompt_tokens);
  w.end_object();
  w.end_object();
}

}  // namespace accord
