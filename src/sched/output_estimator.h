// OutputEstimator: how much output a request will likely produce, so that a reservation's bucket
// and the fair-share counters are charged what the request will probably use rather than the most
// it could (most clients send no max_tokens, and the most a 131k-context model could produce is
// hundreds of times what it usually does). Per (party, model): a moving average of the output per
// choice of that party's finished requests on that model, starting from 512 tokens; an estimate
// never exceeds the request's own cap. The scheduler reconciles the estimate with the real use
// when the request finishes, so an estimate that is off moves who goes first, never what is
// billed. Not thread-safe (the pool scheduler's lock guards it).
#pragma once

#include <algorithm>
#include <cstdint>
#include <unordered_map>

#include "agreement/agreement.h"

namespace accord {

class OutputEstimator {
 public:
  static constexpr double kFirstGuess = 512;  // tokens per choice, before anything finished
  static constexpr double kSmoothing = 0.1;   // weight of each new observation

  // Expected output tokens per choice of a request that may produce at most `cap` (≥ 0).
  double estimate(PartyId party, ModelId model, int64_t cap) const {
    auto it = mean_.find(key(party, model));
    const double mean = it == mean_.end() ? kFirstGuess : it->second;
    return std::min(mean, static_cast<double>(std::max<int64_t>(0, cap)));
  }
  // A request of `party` on `model` finished having produced `output_tokens` per choice.
  void observe(PartyId party, ModelId model, double output_tokens) {
    auto [it, added] = mean_.try_emplace(key(party, model), output_tokens);
    if (!added) it->second += kSmoothing * (output_tokens - it->second);
  }

 private:
  static uint64_t key(PartyId party, ModelId model) {
    return static_cast<uint64_t>(static_cast<uint32_t>(party)) << 32 | static_cast<uint32_t>(model);
  }
  std::unordered_map<uint64_t, double> mean_;
};

}  // namespace accord
