// What policy and the built-in engine need from an OpenAI request body, read in one pass with
// simdjson (on demand, in place): the model, streaming, the output cap, n, stop, service_tier
// and the prompt's size — never a re-serialisation; the body is forwarded as received. Fields
// accord does not read are passed through untouched.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.h"

namespace accord {

enum class ApiKind : uint8_t { kChat, kCompletion, kEmbedding };
enum class ServiceTier : uint8_t { kAuto, kDefault, kPriority, kFlex };
const char* to_string(ServiceTier tier);

// One edit of the body: replace `erase` bytes at `offset` with `insert`.
struct BodyEdit {
  size_t offset = 0;
  size_t erase = 0;
  std::string insert;
};

struct EmbeddingInput {
  int64_t bytes = 0;   // UTF-8 bytes (text input)
  int64_t tokens = 0;  // token ids given directly (token input)
  uint64_t hash = 0;
};

struct RequestBody {
  ApiKind kind = ApiKind::kChat;
  std::string model;
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<int64_t> max_tokens;  // max_tokens / max_completion_tokens
  int64_t n = 1;
  ServiceTier service_tier = ServiceTier::kAuto;
  std::vector<std::string> stop;
  bool ignore_eos = false;  // vLLM's extension: generate exactly max_tokens
  int64_t min_tokens = 0;   // vLLM's extension
  // The prompt: UTF-8 bytes of its text, and the number of messages (chat), prompts
  // (completions) or inputs (embeddings), token ids given directly, and a hash of the text.
  int64_t prompt_bytes = 0;
  int64_t prompt_parts = 0;
  int64_t prompt_token_ids = 0;
  uint64_t prompt_hash = 0;
  // Embeddings.
  std::vector<EmbeddingInput> inputs;
  bool base64 = false;
  std::optional<int64_t> dimensions;
  // Where the body must change before it goes upstream: a stream asks for usage
  // (stream_options.include_usage), and a model name may be rewritten.
  std::optional<BodyEdit> usage_edit;
  size_t model_offset = 0;  // the model's JSON string, quotes included
  size_t model_length = 0;
};

// REQUIRES: body.capacity() >= body.size() + SIMDJSON_PADDING.
// Errors are kInvalidJson or kInvalidRequest with `param` naming the field.
Result<RequestBody> read_request_body(const std::string& body, ApiKind kind);

// The top-level "model" string of a JSON object (another API's body, relayed as received): its
// span, quotes included, as a BodyEdit that erases it (insert the new name's JSON string).
// nullopt when `json` is not an object or has no string "model".
std::optional<BodyEdit> find_model_string(std::string_view json);

// Applies edits (sorted by offset, not overlapping) to a copy of `body`.
std::string apply_edits(std::string_view body, const std::vector<const BodyEdit*>& edits);

// FNV-1a, for deterministic seeds.
uint64_t fnv1a(std::string_view data, uint64_t seed = 1469598103934665603ull);

}  // namespace accord
