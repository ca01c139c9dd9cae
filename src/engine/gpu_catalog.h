// What the built-in engine model knows about GPUs: memory, bandwidth and dense tensor throughput
// from the vendors' data sheets. The engine's efficiency factors are fitted separately
// (engine/calibration.h), so a new GPU needs only its data-sheet line here.
#pragma once

#include <string>
#include <string_view>

namespace accord {

struct GpuSpec {
  std::string_view name;
  double memory_gb;
  double memory_tb_per_s;
  double dense_tflops;     // at the precision the engine serves with (FP8, or BF16 without FP8)
  double bytes_per_param;  // 1 with FP8 weights, 2 with BF16
};

// nullptr when unknown.
const GpuSpec* find_gpu(std::string_view name);
// "a100, b200, h100, h200, l40s", for messages.
std::string known_gpu_names();

// Bytes of GPU memory left for the KV cache on `tp` GPUs after the weights (may be negative).
double kv_cache_bytes(const GpuSpec& gpu, int tp, double model_params_b);
// The fewest GPUs (a power of two up to `gpus`) whose memory holds the model with room for a
// KV cache; 0 when even `gpus` do not.
int default_tensor_parallel(const GpuSpec& gpu, int gpus, double model_params_b);

}  // namespace accord
