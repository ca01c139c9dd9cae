// UsageRecord: what the ledger keeps of one request that reached authentication — served,
// refused or failed. Built on the request path without allocating: names are resolved through
// the agreement snapshot the record holds, on the writer thread.
#pragma once

#include <cstdint>
#include <memory>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/request_id.h"
#include "openai/request_body.h"
#include "sched/ticket.h"

namespace accord {

struct UsageRecord {
  std::shared_ptr<const Agreement> agreement;  // for the names below
  UnixMillis time_ms = 0;                      // arrival, wall clock
  RequestId request_id;
  int32_t key = -1;  // index in agreement->keys; -1: authentication failed
  PartyId party = kNone;
  ModelId model = kNone;
  PoolId pool = kNone;
  int32_t endpoint = -1;  // index in the pool's upstreams; -1: the built-in engine or none
  SchedClass cls = SchedClass::kShared;
  ServiceTier service_tier = ServiceTier::kDefault;
  int16_t status = 0;
  bool failed = false;  // the client did not get a complete answer
  ErrorKind error_kind = ErrorKind::kInternal;
  ErrorSource error_source = ErrorSource::kClient;
  bool reserved = false;  // the party has a reservation on this model
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, read from a provider's prompt cache
  double queue_ms = 0;
  double ttft_ms = -1;  // -1: no token
  double total_ms = 0;
  int64_t list_cost_micro_usd = 0;  // at list price × service-tier multiplier
  int64_t cost_micro_usd = 0;       // what the party owes: less its discount
};

// Columns as stored.
const char* class_name(SchedClass c);
const char* error_source_name(ErrorSource s);

}  // namespace accord
