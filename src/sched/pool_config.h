// The scheduler's and the built-in engine's view of a pool, derived from the agreement: one
// place, so that `accord serve` and `accord simulate` (and the planner, through the simulator)
// run a pool the same way.
#pragma once

#include <vector>

#include "agreement/agreement.h"
#include "engine/calibration.h"
#include "sched/pool_scheduler.h"

namespace accord {

// The built-in engine's parameters for a pool (tp defaulted, max_batch overridden).
ReplicaParams replica_params_for(const Pool& pool);
int replicas_for(const Pool& pool);
int tensor_parallel(const Pool& pool);

// The tightest latency targets on pool `pool_id`: its own `slo` and those of the reservations
// on its models (0: none).
LatencyTargets pool_latency_targets(const Agreement& agreement, PoolId pool_id);

// The scheduler of pool `pool_id`: its lanes (a built-in pool's sized from its latency targets
// unless `max_batch` overrides them; an upstream pool's from its endpoints' max_inflight),
// headroom, queue time, the reservations on its models and the parties' weights.
// `reservation_index` (optional) receives, for each scheduler reservation, its index in the
// agreement.
SchedulerConfig scheduler_config(const Agreement& agreement, PoolId pool_id, bool fcfs,
                                 std::vector<int>* reservation_index = nullptr);

}  // namespace accord
