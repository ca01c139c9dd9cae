// Deterministic "generated" text for the built-in engine: the same seed gives the same tokens, so
// tests and benchmarks can predict what a simulated model says. Each token is one word with its
// leading space (or a full stop), as BPE tokenizers split English text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace accord {

class TextGenerator {
 public:
  explicit TextGenerator(uint64_t seed) : seed_(seed) {}
  // Token i (0-based); a view into static storage.
  std::string_view token(int64_t i) const;
  // How many tokens the simulated model "wants" to say before it stops of its own accord
  // (32..511, mean about 270, like chat answers in the Azure trace).
  int64_t natural_length() const;

 private:
  uint64_t seed_;
};

// Output tokens to generate and why it ends: the model's natural length (or exactly max_tokens
// when ignore_eos), capped by max_tokens, then cut before the first stop sequence.
struct GenerationPlan {
  int64_t tokens = 0;
  const char* finish_reason = "stop";  // "stop" or "length"
};
GenerationPlan plan_generation(uint64_t seed, int64_t max_tokens, bool ignore_eos,
                               int64_t min_tokens, const std::vector<std::string>& stop);

// SplitMix64: the seed sequence for choices and embedding vectors.
uint64_t splitmix64(uint64_t x);

}  // namespace accord
