// Snapshot: everything the request path reads for one agreement — the validated Agreement, the
// key index, and each pool's backend (a LiveEngine or an EndpointSet). Immutable once built;
// requests hold a shared_ptr to the snapshot they started with, so a reload never changes the
// ground under a request in flight. Backends whose configuration did not change are carried over
// from the previous snapshot, so a reload keeps queues, health and in-flight generations. Upstream
// keys (agreement/credentials.h) are read on every build; a key that changed (by its digest in
// the fingerprint) rebuilds its pool's EndpointSet, which holds it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "backend/backend.h"
#include "core/clock.h"
#include "engine/live_engine.h"
#include "gateway/scheduler_host.h"
#include "policy/authenticate.h"
#include "policy/limiter.h"
#include "runtime/event_loops.h"
#include "upstream/endpoint_set.h"
#include "upstream/loop_clients.h"

namespace accord {

struct PoolBackend {
  std::string fingerprint;                 // the configuration it was built from
  std::shared_ptr<Backend> backend;        // what runs the pool's requests
  std::shared_ptr<LiveEngine> engine;      // engine: builtin (for its figures)
  std::shared_ptr<EndpointSet> endpoints;  // upstreams (for their health and figures)
  std::string scheduler_fingerprint;
  std::shared_ptr<SchedulerHost> scheduler;
  std::vector<int> reservation_index;  // scheduler reservation i → agreement reservation
};

struct Snapshot {
  std::shared_ptr<const Agreement> agreement;
  std::unique_ptr<KeyIndex> keys;
  std::shared_ptr<LimitState> limits;
  std::vector<std::shared_ptr<PoolBackend>> pools;  // by PoolId
};

struct SnapshotOptions {
  bool fcfs = false;               // `accord serve --scheduler fcfs`
  LoopClients* clients = nullptr;  // upstream pools' connections; REQUIRES: set when any
};

std::shared_ptr<const Snapshot> build_snapshot(std::shared_ptr<const Agreement> agreement,
                                               const Snapshot* previous, EventLoops& loops,
                                               const Clock& clock,
                                               const SnapshotOptions& options = {});

}  // namespace accord
