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

}  // namespace

ReplicaParams replica_params_for(const Pool& pool) {
  return replica_params(*find_gpu(pool.gpu), tensor_parallel(pool), pool.model_params_b,
                        calibrated_coefficients(), pool.max_batch);
}

int replicas_for(const Pool& pool) {
  return std::max(1, pool.gpus / tensor_parallel(pool));
}

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const Agreement> agreement,
                                               const Snapshot* previous, EventLoops& loops,
                                               const Clock& clock) {
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->keys = std::make_unique<KeyIndex>(*agreement);
  for (const Pool& pool : agreement->pools) {
    const std::string print = fingerprint(pool);
    std::shared_ptr<PoolBackend> backend;
    if (previous != nullptr) {
      const auto& old = *previous->agreement;
      if (auto it = old.pool_by_name.find(pool.name);
          it != old.pool_by_name.end() && previous->pools[it->second]->fingerprint == print) {
        backend = previous->pools[it->second];
      }
    }
    if (!backend) {
      backend = std::make_shared<PoolBackend>();
      backend->fingerprint = print;
      if (pool.engine == PoolEngine::kBuiltin) {
        backend->engine = std::make_shared<LiveEngine>(loops, replica_params_for(pool),
                                                       replicas_for(pool), clock);
      } else {
        backend->endpoints = std::make_shared<EndpointSet>(pool, clock);
      }
    }
    snapshot->pools.push_back(std::move(backend));
  }
  snapshot->agreement = std::move(agreement);
  return snapshot;
}

}  // namespace accord
