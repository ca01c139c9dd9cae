#include "engine/gpu_catalog.h"

#include <array>

namespace accord {
namespace {

// Data sheets (SXM parts, dense figures, no sparsity):
//   H100: 80 GB HBM3, 3.35 TB/s, FP8 1,979 TFLOPS  (NVIDIA H100 Tensor Core GPU data sheet)
//   H200: 141 GB HBM3e, 4.8 TB/s, FP8 1,979 TFLOPS (NVIDIA H200 data sheet)
//   B200: 180 GB HBM3e, 8 TB/s, FP8 4,500 TFLOPS   (NVIDIA DGX B200 data sheet, per GPU)
//   A100: 80 GB HBM2e, 2.039 TB/s, BF16 312 TFLOPS (NVIDIA A100 data sheet; no FP8)
//   L40S: 48 GB GDDR6, 0.864 TB/s, FP8 733 TFLOPS  (NVIDIA L40S data sheet)
constexpr std::array<GpuSpec, 5> kGpus{{
    {"a100", 80, 2.039, 312, 2},
    {"b200", 180, 8.0, 4500, 1},
    {"h100", 80, 3.35, 1979, 1},
    {"h200", 141, 4.8, 1979, 1},
    {"l40s", 48, 0.864, 733, 1},
}};

// Memory the serving engine may use (vLLM's gpu_memory_utilization default).
constexpr double kMemoryUtilisation = 0.9;
// A replica must keep at least this fraction of its memory for the KV cache to be useful.
constexpr double kMinKvFraction = 0.1;

}  // namespace

const GpuSpec* find_gpu(std::string_view name) {
  for (const GpuSpec& g : kGpus) {
    if (g.name == name) return &g;
  }
  return nullptr;
}

std::string known_gpu_names() {
  std::string out;
  for (const GpuSpec& g : kGpus) {
    if (!out.empty()) out += ", ";
    out += g.name;
  }
  return out;
}

double kv_cache_bytes(const GpuSpec& gpu, int tp, double model_params_b) {
  const double usable = tp * gpu.memory_gb * 1e9 * kMemoryUtilisation;
  return usable - model_params_b * 1e9 * gpu.bytes_per_param;
}

int default_tensor_parallel(const GpuSpec& gpu, int gpus, double model_params_b) {
  for (int tp = 1; tp <= gpus; tp *= 2) {
    if (gpus % tp != 0) continue;
    const double total = tp * gpu.memory_gb * 1e9 * kMemoryUtilisation;
    if (kv_cache_bytes(gpu, tp, model_params_b) >= kMinKvFraction * total) return tp;
  }
  return 0;
}

}  // namespace accord
