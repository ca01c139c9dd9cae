// Traffic for the simulator: arrivals from a trace (the Azure LLM trace's CSV format, optionally
// with party and model columns) or generated from a traffic file (per party: a rate, Poisson,
// bursty or uniform arrivals, a daily cycle, prompt and output length distributions, a service
// tier). Times are seconds from the start of the run.
#pragma once

#include <cstdint>
#include <istream>
#include <map>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/result.h"
#include "openai/request_body.h"

namespace accord {

struct Arrival {
  double time = 0;
  PartyId party = kNone;
  ModelId model = kNone;
  int32_t prompt_tokens = 0;
  int32_t output_tokens = 0;  // what it produces (at most max_tokens)
  int32_t max_tokens = 0;     // what it asked for at most; 0: it sent no max_tokens
  ServiceTier service_tier = ServiceTier::kDefault;
};

struct TraceOptions {
  double rate_scale = 1.0;                  // arrival rate × this (times ÷ it)
  std::map<std::string, double> party_map;  // party → weight; empty: round-robin over customers
  uint64_t seed = 1;
  UnixMillis start = 0;  // the simulated wall time of t = 0 (model availability is judged then)
};

// TIMESTAMP,ContextTokens,GeneratedTokens[,party][,model]; TIMESTAMP is "YYYY-MM-DD HH:MM:SS.f"
// or seconds. Rows without a party go to the customer parties (round-robin, or by party_map
// weights) on the first model each may call. Errors are FILE:LINE: message.
Result<std::vector<Arrival>> load_trace(const std::string& path, const Agreement& agreement,
                                        const TraceOptions& options);
// The same, from a stream; `name` stands for the file in errors.
Result<std::vector<Arrival>> read_trace(std::istream& in, const std::string& name,
                                        const Agreement& agreement, const TraceOptions& options);

// A traffic file (YAML; see README). `duration_s` > 0 overrides the file's duration.
Result<std::vector<Arrival>> load_traffic(const std::string& path, const Agreement& agreement,
                                          double duration_s, uint64_t seed, UnixMillis start);
Result<std::vector<Arrival>> read_traffic(std::istream& in, const std::string& name,
                                          const Agreement& agreement, double duration_s,
                                          uint64_t seed, UnixMillis start);

// The first model `party` may call at `now` (kNone if none).
ModelId first_callable_model(const Agreement& agreement, PartyId party, UnixMillis now);

}  // namespace accord
