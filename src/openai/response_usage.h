// Reading an upstream's answer: the usage block of a completion (or of the final stream chunk),
// and whether a body is JSON at all.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace accord {

struct UpstreamUsage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;   // prompt_tokens_details.cached_tokens: read from a prompt cache
  bool choices_empty = false;  // a stream's usage-only chunk
};

// The "usage" object of a completion or chunk, if it has one that is not null. nullopt also
// when `json` is not valid JSON (check with is_json_object()).
std::optional<UpstreamUsage> find_usage(std::string_view json);
bool is_json_object(std::string_view json);

}  // namespace accord
