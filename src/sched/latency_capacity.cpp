#include "sched/latency_capacity.h"

#include <algorithm>
#include <cmath>

namespace accord {

double steady_iteration_s(const ReplicaParams& p, double batch, double in, double out) {
  out = std::max(1.0, out);
  // Each sequence's prompt is prefilled once over its `out` iterations: per iteration, a
  // 1/out share of it (its attention too), as saturated_output_tokens_per_s() counts it.
  return p.t_fixed_s + batch * p.t_token_s + batch * (in + out / 2) * p.t_kv_s +
         (batch / out) * (in * p.t_token_s + p.t_attn_pair_s * in * in / 2);
}

int latency_batch(const ReplicaParams& p, const LatencyTargets& targets, double in, double out) {
  in = std::max(1.0, in);
  out = std::max(1.0, out);
  int most = p.max_batch;
  if (p.kv_capacity_tokens > 0) {
    const double fit = std::floor(static_cast<double>(p.kv_capacity_tokens) / (in + out));
    most = static_cast<int>(std::min<double>(most, fit));
  }
  most = std::max(1, most);
  const double tpot = targets.tpot_s > 0 ? targets.tpot_s : 2 * steady_iteration_s(p, 1, in, out);
  const double chunks = std::ceil(in / std::max(1, p.prefill_chunk_tokens));
  auto holds = [&](int batch) {
    const double iteration = steady_iteration_s(p, batch, in, out);
    if (iteration > tpot) return false;
    return targets.ttft_s <= 0 || (1 + chunks) * iteration <= targets.ttft_s / 2;
  };
  if (holds(most)) return most;
  int lo = 1, hi = most;  // holds(lo) or lo == 1; !holds(hi)
  while (hi - lo > 1) {
    const int mid = lo + (hi - lo) / 2;
    (holds(mid) ? lo : hi) = mid;
  }
  return lo;
}

}  // namespace accord
