#include "sched/pool_config.h"

#include <algorithm>

namespace accord {
namespace {

// The tighter of two targets where 0 means none.
double tighter(double a, double b) {
  if (a <= 0) return b;
  if (b <= 0) return a;
  return std::min(a, b);
}

}  // namespace

int tensor_parallel(const Pool& pool) {
  if (pool.tp > 0) return pool.tp;
  return default_tensor_parallel(*find_gpu(pool.gpu), pool.gpus, pool.model_params_b);
}

ReplicaParams replica_params_for(const Pool& pool) {
  return replica_params(*find_gpu(pool.gpu), tensor_parallel(pool), pool.model_params_b,
                        calibrated_coefficients(), pool.max_batch);
}

int replicas_for(const Pool& pool) {
  return std::max(1, pool.gpus / tensor_parallel(pool));
}

LatencyTargets pool_latency_targets(const Agreement& a, PoolId pool_id) {
  const Pool& pool = a.pools[pool_id];
  LatencyTargets t;
  t.ttft_s = pool.slo.ttft_p99_ms.value_or(0) / 1000;
  t.tpot_s = pool.slo.tpot_p99_ms.value_or(0) / 1000;
  for (const Reservation& r : a.reservations) {
    if (a.models[r.model].pool != pool_id) continue;
    t.ttft_s = tighter(t.ttft_s, r.slo.ttft_p99_ms.value_or(0) / 1000);
    t.tpot_s = tighter(t.tpot_s, r.slo.tpot_p99_ms.value_or(0) / 1000);
  }
  return t;
}

SchedulerConfig scheduler_config(const Agreement& a, PoolId pool_id, bool fcfs,
                                 std::vector<int>* reservation_index) {
  const Pool& pool = a.pools[pool_id];
  SchedulerConfig c;
  c.fcfs = fcfs;
  c.headroom_slots = pool.headroom_slots;
  c.max_queue = pool.max_queue_ms * kNanosPerMilli;
  if (pool.slo.ttft_p99_ms && !fcfs) {
    c.shared_ttft_target = static_cast<MonoNanos>(*pool.slo.ttft_p99_ms * kNanosPerMilli);
  }
  if (pool.engine == PoolEngine::kBuiltin) {
    const ReplicaParams p = replica_params_for(pool);
    c.lanes.assign(static_cast<size_t>(replicas_for(pool)),
                   Lane{p.max_batch, p.kv_capacity_tokens});
    // max_batch is the operator's override; otherwise the latency targets size the batch.
    if (pool.max_batch == 0) c.latency = LatencyModel{p, pool_latency_targets(a, pool_id)};
  } else {
    int slots = 0;
    for (const UpstreamEndpoint& e : pool.upstreams) slots += e.max_inflight;
    c.lanes.push_back(Lane{slots, INT64_MAX});
    // Learned online within max_inflight, from a slow start at the config's initial limit.
    AdaptiveLimitConfig adaptive;
    adaptive.max_limit = std::max(1, slots);
    adaptive.latency_target_s = pool_latency_targets(a, pool_id).tpot_s;
    c.adaptive = adaptive;
  }
  for (size_t i = 0; i < a.reservations.size(); ++i) {
    const Reservation& r = a.reservations[i];
    if (a.models[r.model].pool != pool_id) continue;
    ReservationSpec spec;
    spec.party = r.party;
    spec.model = r.model;
    spec.tokens_per_s = r.tokens_per_s;
    spec.burst_s = r.burst_s;
    spec.spillover = r.spillover;
    spec.ttft_target =
        r.slo.ttft_p99_ms ? static_cast<MonoNanos>(*r.slo.ttft_p99_ms * kNanosPerMilli) : 0;
    c.reservations.push_back(spec);
    if (reservation_index != nullptr) reservation_index->push_back(static_cast<int>(i));
  }
  for (size_t p = 0; p < a.parties.size(); ++p) {
    const Tier* tier = a.tier_of(static_cast<PartyId>(p));
    c.party_weights.push_back(tier != nullptr ? tier->weight : 1.0);
  }
  return c;
}

}  // namespace accord
