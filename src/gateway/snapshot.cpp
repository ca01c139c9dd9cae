#include "gateway/snapshot.h"

#include <fmt/format.h>

namespace accord {
namespace {

int tensor_parallel(const Pool& pool) {
  if (pool.tp > 0) return pool.tp;
  return default_tensor_parallel(*find_gpu(pool.gpu), pool.gpus, pool.model_params_b);
}

std::string fingerprint(const Pool& pool) {
  if (pool.engine == PoolEngine::kBuiltin) {
    return fmt::format("builtin {} {} {} {} {}", pool.gpu, pool.gpus, tensor_parallel(pool),
                       pool.model_params_b, pool.max_batch);
  }
  std::string f = "upstream";
  for (const UpstreamEndpoint& e : pool.upstreams) {
    f += fmt::format(" {}#{}#{}", e.url, e.max_inflight, e.api_key_env);
  }
  return f;
}

std::string scheduler_fingerprint(const SchedulerConfig& c) {
  std::string f = fmt::format("{} {} {}", c.headroom_slots, c.max_queue, c.fcfs);
  for (const Lane& l : c.lanes) f += fmt::format(" L{}/{}", l.slots, l.kv_tokens);
  for (const ReservationSpec& r : c.reservations) {
    f += fmt::format(" R{}/{}/{}/{}/{}/{}", r.party, r.model, r.tokens_per_s, r.burst_s,
                     r.spillover, r.ttft_target);
  }
  for (const double w : c.party_weights) f += fmt::format(" W{}", w);
  return f;
}

}  // namespace

SchedulerConfig scheduler_config(const Agreement& a, PoolId pool_id, bool fcfs,
                                 std::vector<int>* reservation_index) {
  const Pool& pool = a.pools[pool_id];
  SchedulerConfig c;
  c.fcfs = fcfs;
  c.headroom_slots = pool.headroom_slots;
  c.max_queue = pool.max_queue_ms * kNanosPerMilli;
  if (pool.engine == PoolEngine::kBuiltin) {
    const ReplicaParams p = replica_params_for(pool);
    c.lanes.assign(static_cast<size_t>(replicas_for(pool)),
                   Lane{p.max_batch, p.kv_capacity_tokens});
  } else {
    int slots = 0;
    for (const UpstreamEndpoint& e : pool.upstreams) slots += e.max_inflight;
    c.lanes.push_back(Lane{slots, INT64_MAX});
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

ReplicaParams replica_params_for(const Pool& pool) {
  return replica_params(*find_gpu(pool.gpu), tensor_parallel(pool), pool.model_params_b,
                        calibrated_coefficients(), pool.max_batch);
}

int replicas_for(const Pool& pool) {
  return std::max(1, pool.gpus / tensor_parallel(pool));
}

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const Agreement> agreement,
                                               const Snapshot* previous, EventLoops& loops,
                                               const Clock& clock, const SnapshotOptions& options) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->keys = std::make_unique<KeyIndex>(*agreement);
  snapshot->limits = std::make_shared<LimitState>(
      *agreement, previous != nullptr ? previous->limits.get() : nullptr);
  for (size_t id = 0; id < agreement->pools.size(); ++id) {
    const Pool& pool = agreement->pools[id];
    const std::string print = fingerprint(pool);
    const PoolBackend* old = nullptr;
    if (previous != nullptr) {
      const auto& a = *previous->agreement;
      if (auto it = a.pool_by_name.find(pool.name); it != a.pool_by_name.end()) {
        old = previous->pools[it->second].get();
      }
    }
    auto backend = std::make_shared<PoolBackend>();
    backend->fingerprint = print;
    if (old != nullptr && old->fingerprint == print) {
      backend->engine = old->engine;
      backend->endpoints = old->endpoints;
    } else if (pool.engine == PoolEngine::kBuiltin) {
      backend->engine =
          std::make_shared<LiveEngine>(loops, replica_params_for(pool), replicas_for(pool), clock);
    } else {
      backend->endpoints = std::make_shared<EndpointSet>(pool, clock);
    }
    SchedulerConfig config = scheduler_config(*agreement, static_cast<PoolId>(id), options.fcfs,
                                              &backend->reservation_index);
    backend->scheduler_fingerprint = scheduler_fingerprint(config);
    if (old != nullptr && old->scheduler_fingerprint == backend->scheduler_fingerprint) {
      backend->scheduler = old->scheduler;  // queues and counters carry on
    } else {
      backend->scheduler = std::make_shared<SchedulerHost>(std::move(config), loops, clock);
    }
    snapshot->pools.push_back(std::move(backend));
  }
  snapshot->agreement = std::move(agreement);
  return snapshot;
}

}  // namespace accord
