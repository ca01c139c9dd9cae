// LatencyCapacity: how many sequences a built-in engine replica may run at once while the pool's
// latency targets hold (DESIGN.md §3: capacity from the latency targets, not from the slot count).
// A continuous-batching replica runs every admitted sequence in every iteration, so each one it
// adds slows all the others: past some batch the time per output token (TPOT) and the prefill of
// a newly admitted prompt (TTFT) break their targets. The scheduler admits up to that batch and
// queues the rest, where it decides the order (reserved first, then fair shares); an engine that
// took everything would serve in arrival order at whatever latency the batch gives.
//
// The cost model is the engine's own (engine/calibration.h): a steady iteration reads the weights
// once, computes one token per decoding sequence and its share of the prefill still to do, and
// reads each sequence's KV cache. Pure functions; any thread.
#pragma once

#include "engine/calibration.h"

namespace accord {

struct LatencyTargets {
  double ttft_s = 0;  // 0: none
  double tpot_s = 0;  // 0: twice the unloaded iteration
};

// Seconds of one steady iteration with `batch` sequences of `in` prompt and `out` output tokens.
double steady_iteration_s(const ReplicaParams& p, double batch, double in, double out);

// The largest batch (1 ≤ batch ≤ p.max_batch, within the KV cache) whose steady iteration meets
// the TPOT target and whose prefill of a newly admitted prompt (one iteration to join, then its
// chunks) takes at most half the TTFT target; the other half is for waiting for a slot.
int latency_batch(const ReplicaParams& p, const LatencyTargets& targets, double in, double out);

}  // namespace accord
