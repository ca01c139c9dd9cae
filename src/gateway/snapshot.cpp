#include "gateway/snapshot.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agreement/credentials.h"
#include "backend/anthropic_backend.h"
#include "backend/engine_backend.h"
#include "backend/upstream_backend.h"
#include "core/crypto.h"
#include "sched/pool_config.h"

namespace accord {
namespace {

// Each endpoint's key, read now: every snapshot build reads them again, so a reload picks up a
// rotated key file. One that cannot be read (accord check and the load reported it; it went
// since) is logged by its key's name, never its content, and the endpoint sends none.
std::vector<std::string> read_endpoint_keys(const Pool& pool) {
  std::vector<std::string> keys;
  for (const UpstreamEndpoint& e : pool.upstreams) {
    auto key = read_credential(e.credential);
    if (!key.ok()) {
      spdlog::error("pool {}: {}", pool.name, key.error().message);
      keys.emplace_back();
    } else {
      keys.push_back(std::move(key.value()));
    }
  }
  return keys;
}

// What the pool's backend is built from. For upstream pools that includes a digest of each
// endpoint's key (never the key), so a rotated key rebuilds the EndpointSet that holds it.
std::string fingerprint(const Pool& pool, const std::vector<std::string>& keys) {
  if (pool.engine == PoolEngine::kBuiltin) {
    return fmt::format("builtin {} {} {} {} {}", pool.gpu, pool.gpus, tensor_parallel(pool),
                       pool.model_params_b, pool.max_batch);
  }
  std::string f = fmt::format("upstream {} {} {} ca={}", to_string(pool.provider), pool.api_version,
                              pool.anthropic_version, pool.ca_file);
  for (size_t i = 0; i < pool.upstreams.size(); ++i) {
    const UpstreamEndpoint& e = pool.upstreams[i];
    f += fmt::format(" {}#{}#", e.url, e.max_inflight);
    if (!keys[i].empty()) f += to_hex(sha256(keys[i]));
  }
  return f;
}

std::string scheduler_fingerprint(const SchedulerConfig& c) {
  std::string f =
      fmt::format("{} {} {} {}", c.headroom_slots, c.max_queue, c.shared_ttft_target, c.fcfs);
  if (c.latency) f += fmt::format(" T{}/{}", c.latency->targets.ttft_s, c.latency->targets.tpot_s);
  if (c.adaptive) f += fmt::format(" A{}", c.adaptive->latency_target_s);
  for (const Lane& l : c.lanes) f += fmt::format(" L{}/{}", l.slots, l.kv_tokens);
  for (const ReservationSpec& r : c.reservations) {
    f += fmt::format(" R{}/{}/{}/{}/{}/{}", r.party, r.model, r.tokens_per_s, r.burst_s,
                     r.spillover, r.ttft_target);
  }
  for (const double w : c.party_weights) f += fmt::format(" W{}", w);
  return f;
}

}  // namespace

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const Agreement> agreement,
                                               const Snapshot* previous, EventLoops& loops,
                                               const Clock& clock, const SnapshotOptions& options) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->keys = std::make_unique<KeyIndex>(*agreement);
  snapshot->limits = std::make_shared<LimitState>(
      *agreement, previous != nullptr ? previous->limits.get() : nullptr);
  for (size_t id = 0; id < agreement->pools.size(); ++id) {
    const Pool& pool = agreement->pools[id];
    std::vector<std::string> keys;
    if (pool.engine == PoolEngine::kUpstream) keys = read_endpoint_keys(pool);
    const std::string print = fingerprint(pool, keys);
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
      backend->backend = old->backend;
      backend->engine = old->engine;
      backend->endpoints = old->endpoints;
    } else if (pool.engine == PoolEngine::kBuiltin) {
      backend->engine =
          std::make_shared<LiveEngine>(loops, replica_params_for(pool), replicas_for(pool), clock);
      backend->backend = std::make_shared<EngineBackend>(backend->engine, clock);
    } else {
      backend->endpoints = std::make_shared<EndpointSet>(pool, clock, EndpointHealthPolicy{}, keys);
      if (pool.provider == UpstreamProvider::kAnthropic) {
        backend->backend =
            std::make_shared<AnthropicBackend>(backend->endpoints, *options.clients, clock);
      } else {
        backend->backend =
            std::make_shared<UpstreamBackend>(backend->endpoints, *options.clients, clock);
      }
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
