// The OpenAI response bodies the built-in engine writes: chat completions and their stream
// chunks, text completions, embeddings — field for field as OpenAI sends them, since the official
// clients' stream helpers depend on the details (the role in the first delta, finish_reason in
// the last, a usage chunk with empty choices).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

struct ResponseMeta {
  std::string_view id;  // "chatcmpl-…" / "cmpl-…"
  std::string_view model;
  int64_t created = 0;  // Unix seconds
  std::string_view service_tier = "default";
  std::string_view system_fingerprint = "accord-sim";
};

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
};

struct ChoiceText {
  std::string text;
  const char* finish_reason = "stop";
};

void append_chat_completion(std::string& out, const ResponseMeta& meta,
                            std::span<const ChoiceText> choices, const Usage& usage);
void append_text_completion(std::string& out, const ResponseMeta& meta,
                            std::span<const ChoiceText> choices, const Usage& usage);

// One SSE event ("data: {…}\n\n") of a chat stream. `role` only on a choice's first chunk;
// `finish_reason` only on its last (with empty content). With include_usage, every chunk carries
// "usage":null as OpenAI's do.
void append_chat_chunk(std::string& out, const ResponseMeta& meta, int64_t index,
                       std::string_view content, bool role, const char* finish_reason,
                       bool include_usage);
void append_completion_chunk(std::string& out, const ResponseMeta& meta, int64_t index,
                             std::string_view text, const char* finish_reason, bool include_usage);
// The final usage chunk: empty choices.
void append_usage_chunk(std::string& out, const ResponseMeta& meta, bool chat, const Usage& usage);

// {"object":"list","data":[{"object":"embedding","index":i,"embedding":[…] | "base64"}],…}
void append_embeddings(std::string& out, std::string_view model,
                       std::span<const std::vector<float>> vectors, bool base64,
                       int64_t prompt_tokens);

}  // namespace accord
