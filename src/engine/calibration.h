// The built-in engine's cost model and its calibration against published throughput.
//
// A serving replica (tp GPUs) runs continuous batching: every iteration reads the weights once,
// computes one token for each decoding sequence plus a chunk of prefill tokens, and reads each
// decoding sequence's KV cache. So an iteration costs
//   t_fixed + (decode tokens + prefill tokens) × t_token + KV tokens read × t_kv
//           + prefill attention (quadratic in the prompt),
// with t_fixed = weight bytes / (bandwidth × e_bw) + overhead, t_token = 2 × params / (flops ×
// e_flops), t_kv = KV bytes per token / (bandwidth × e_bw). The GPU figures come from data sheets
// (gpu_catalog.h); the efficiencies e_bw, e_flops, the per-iteration overhead and the batch cap
// are fitted to published saturated throughputs (published_throughputs()).
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "engine/gpu_catalog.h"

namespace accord {

// What the fit determines; the same for every GPU and model size.
struct EngineCoefficients {
  double bandwidth_efficiency = 0.9;
  double flops_efficiency = 0.5;
  double iteration_overhead_s = 0.0;
  int max_batch = 512;
};

// One replica's costs, derived from the GPU, the model size and the coefficients.
struct ReplicaParams {
  double t_fixed_s = 0;      // per iteration: weights read + overhead
  double t_token_s = 0;      // per token computed (prefill or decode)
  double t_kv_s = 0;         // per KV-cache token read by a decode step
  double t_attn_pair_s = 0;  // prefill attention per (new token × context token)
  int64_t kv_capacity_tokens = 0;
  int max_batch = 512;              // concurrent sequences
  int prefill_chunk_tokens = 8192;  // prefill tokens per iteration (chunked prefill budget)
};

// REQUIRES: the model fits (kv_cache_bytes(gpu, tp, params_b) > 0).
ReplicaParams replica_params(const GpuSpec& gpu, int tp, double model_params_b,
                             const EngineCoefficients& c, int max_batch_override = 0);

// Saturated output tokens/s of one replica on requests of `in` prompt and `out` output tokens
// (steady state: as many sequences as the batch cap and the KV cache allow).
double saturated_output_tokens_per_s(const ReplicaParams& p, double in, double out);
// Time to first token of a lone request with `in` prompt tokens on an idle replica.
double idle_ttft_s(const ReplicaParams& p, int64_t in);

struct PublishedThroughput {
  std::string_view model;
  double params_b;
  std::string_view gpu;
  int tp;
  int input_tokens;
  int output_tokens;
  double output_tokens_per_s;
};

// TensorRT-LLM's published saturated throughputs (FP8, total output tokens/s), from NVIDIA's
// "TensorRT-LLM Performance Overview" (nvidia.github.io/TensorRT-LLM/performance/
// perf-overview.html): Llama-3.1-8B on 1×H100 and Llama-3.3-70B on 2×H100.
std::span<const PublishedThroughput> published_throughputs();

// Least squares on log throughput over `points`.
EngineCoefficients fit_coefficients(std::span<const PublishedThroughput> points);
// Fitted once on every published point; what the engine runs with.
const EngineCoefficients& calibrated_coefficients();
// Prediction for one published configuration with the given coefficients.
double predict(const PublishedThroughput& point, const EngineCoefficients& c);

}  // namespace accord
