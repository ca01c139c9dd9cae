// RequestContext: one request's journey through the stages (DESIGN.md §2), from arrival to the
// completion stage, which sees every request that reached authentication exactly once —
// served, refused or failed. Owned by the request's coroutine; read by completion observers.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agreement/pricing.h"
#include "core/error.h"
#include "core/request_id.h"
#include "gateway/scheduler_host.h"
#include "gateway/snapshot.h"
#include "openai/request_body.h"
#include "policy/limiter.h"
#include "trace/request_trace.h"

namespace accord {

struct NativeRelay;  // backend/backend.h

struct RequestContext {
  RequestId request_id;
  ApiKind kind = ApiKind::kChat;
  std::shared_ptr<const Snapshot> snapshot;
  const ApiKey* key = nullptr;  // null when authentication failed
  PartyId party = kNone;
  ModelId model = kNone;
  PoolId pool = kNone;
  RequestBody body;
  const NativeRelay* relay = nullptr;  // what the API's own upstreams get (backend/backend.h)
  ServiceTier service_tier = ServiceTier::kDefault;  // as served

  MonoNanos arrived_at = 0;
  MonoNanos dispatched_at = 0;  // when it left the queue for the engine or an upstream
  MonoNanos first_token_at = 0;
  MonoNanos finished_at = 0;
  UnixMillis wall_arrived_at = 0;
  // When the policy stages (entitle, limit) judge the request: its arrival, or the end of a wait
  // for room in the ledger. One clock reading serves them all.
  MonoNanos checked_at = 0;
  UnixMillis wall_checked_at = 0;
  // Read only for a sampled request (trace.sampled), for its stage spans: when authentication
  // ended, and when parsing, entitlement and limits ended (admitted or refused).
  MonoNanos authenticated_at = 0;
  MonoNanos admitted_at = 0;
  RequestTrace trace;

  // Stages 4–5: what was estimated and held back, and the request's place in the scheduler.
  SchedClass sched_class = SchedClass::kShared;
  BilledTier billed = BilledTier::kDefault;
  int64_t prompt_estimate = 0;    // tokens, as the engine or upstream will most likely count
  int64_t max_output_tokens = 0;  // per choice
  RateLimitHeaders rate_headers;
  LimitLease lease;  // declared after `snapshot`: released before it
  std::shared_ptr<SchedulerHost> scheduler;
  std::shared_ptr<GatewayTicket> ticket;
  std::optional<UpstreamSample> upstream_sample;  // an upstream pool's answer, for its limit

  bool reserved = false;  // the party has a reservation on the model (its SLA covers this)
  bool recorded = false;  // its usage record is in the ledger's queue already

  int status = 0;  // the HTTP status the client got (499: it went away)
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, read from the provider's prompt cache
  int64_t completion_tokens = 0;
  int endpoint = -1;  // upstream endpoint index, -1 for the built-in engine
  bool client_gone = false;
  std::optional<Error> error;

  // The status to record: 499 for a client that went away before an error status was set.
  int recorded_status() const { return client_gone && status < 400 ? 499 : status; }
};

// Completion observers: the ledger, metrics and the access log plug in here. Called once per
// request that reached authentication, on the request's loop, after the response was written.
class CompletionObserver {
 public:
  virtual ~CompletionObserver() = default;
  virtual void on_complete(const RequestContext& ctx) = 0;
};

}  // namespace accord
