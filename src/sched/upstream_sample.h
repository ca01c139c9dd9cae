// UpstreamSample: what an upstream pool's finished request says about the upstream's load, for
// the pool's adaptive limit. The gateway and the simulator measure it with the same function.
#pragma once

#include <algorithm>
#include <cstdint>

#include "core/clock.h"

namespace accord {

struct UpstreamSample {
  double latency_per_token_s = 0;  // the time per output token (streams) or per token (whole)
  double noise_per_token_s = 0;    // what the measurement itself may add to it
  bool dropped = false;            // the upstream failed it
  bool rate_limited = false;       // a 429, or its quota spent
};

// The time per output token once generation started (a stream whose first token came after
// dispatch, with at least 2 tokens), else the whole time per token. Either may be off by the
// time the gateway's own event loops took to get to it, about a millisecond under load: spread
// over the tokens, that is the measurement's noise.
inline UpstreamSample measure_upstream(MonoNanos dispatched_at, MonoNanos first_token_at,
                                       MonoNanos finished_at, int64_t output_tokens,
                                       bool streamed) {
  constexpr double kLoopDelayS = 0.001;
  const bool per_output = streamed && output_tokens >= 2 && first_token_at > dispatched_at;
  const auto tokens =
      static_cast<double>(per_output ? output_tokens - 1 : std::max<int64_t>(1, output_tokens));
  UpstreamSample s;
  s.latency_per_token_s =
      nanos_to_seconds(finished_at - (per_output ? first_token_at : dispatched_at)) / tokens;
  s.noise_per_token_s = kLoopDelayS / tokens;
  return s;
}

}  // namespace accord
