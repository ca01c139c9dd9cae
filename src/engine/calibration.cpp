#include "engine/calibration.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace accord {
namespace {

// Llama-family shapes as functions of the parameter count (fits to Llama 3 8B/70B/405B):
// KV bytes per token at 16-bit: 32 layers × 8 KV heads × 128 × 2 (K, V) × 2 bytes = 128 KiB at
// 8B, 320 KiB at 70B; layers × model width: 32 × 4096 at 8B, 80 × 8192 at 70B.
double kv_bytes_per_token_16bit(double params_b) {
  return 131072.0 * std::pow(params_b / 8, 0.42);
}
double layers_times_width(double params_b) {
  return 131072.0 * std::pow(params_b / 8, 0.74);
}

constexpr std::array<PublishedThroughput, 8> kPublished{{
    {"Llama-3.1-8B", 8, "h100", 1, 128, 2048, 22714},
    {"Llama-3.1-8B", 8, "h100", 1, 1000, 1000, 15220},
    {"Llama-3.1-8B", 8, "h100", 1, 2048, 2048, 9305},
    {"Llama-3.1-8B", 8, "h100", 1, 20000, 2000, 1351},
    {"Llama-3.3-70B", 70, "h100", 2, 128, 2048, 6651},
    {"Llama-3.3-70B", 70, "h100", 2, 1000, 1000, 4205},
    {"Llama-3.3-70B", 70, "h100", 2, 2048, 2048, 3082},
    {"Llama-3.3-70B", 70, "h100", 2, 20000, 2000, 437},
}};

double fit_error(std::span<const PublishedThroughput> points, const EngineCoefficients& c) {
  double sum = 0;
  for (const PublishedThroughput& p : points) {
    const double e = std::log(predict(p, c) / p.output_tokens_per_s);
    sum += e * e;
  }
  return sum;
}

// Nelder–Mead over (bandwidth efficiency, flops efficiency, overhead ms), kept in bounds.
EngineCoefficients fit_continuous(std::span<const PublishedThroughput> points, int max_batch) {
  auto make = [max_batch](const std::array<double, 3>& x) {
    EngineCoefficients c;
    c.bandwidth_efficiency = std::clamp(x[0], 0.05, 1.0);
    c.flops_efficiency = std::clamp(x[1], 0.05, 1.0);
    c.iteration_overhead_s = std::clamp(x[2], 0.0, 20.0) * 1e-3;
    c.max_batch = max_batch;
    return c;
  };
  auto f = [&](const std::array<double, 3>& x) { return fit_error(points, make(x)); };
  std::array<std::array<double, 3>, 4> simplex{
      {{0.8, 0.5, 1.0}, {0.6, 0.5, 1.0}, {0.8, 0.3, 1.0}, {0.8, 0.5, 3.0}}};
  std::array<double, 4> value{};
  for (size_t i = 0; i < 4; ++i) value[i] = f(simplex[i]);
  for (int iter = 0; iter < 400; ++iter) {
    std::array<size_t, 4> order{0, 1, 2, 3};
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return value[a] < value[b]; });
    const size_t worst = order[3];
    std::array<double, 3> centroid{};
    for (size_t k = 0; k < 3; ++k) {
      for (size_t d = 0; d < 3; ++d) centroid[d] += simplex[order[k]][d] / 3;
    }
    auto along = [&](double t) {
      std::array<double, 3> x{};
      for (size_t d = 0; d < 3; ++d) x[d] = centroid[d] + t * (simplex[worst][d] - centroid[d]);
      return x;
    };
    const auto reflected = along(-1);
    const double fr = f(reflected);
    if (fr < value[order[0]]) {
      const auto expanded = along(-2);
      const double fe = f(expanded);
      if (fe < fr) {
        simplex[worst] = expanded, value[worst] = fe;
      } else {
        simplex[worst] = reflected, value[worst] = fr;
      }
    } else if (fr < value[order[2]]) {
      simplex[worst] = reflected, value[worst] = fr;
    } else {
      const auto contracted = along(0.5);
      const double fc = f(contracted);
      if (fc < value[worst]) {
        simplex[worst] = contracted, value[worst] = fc;
      } else {  // shrink towards the best
        for (size_t k = 1; k < 4; ++k) {
          const size_t i = order[k];
          for (size_t d = 0; d < 3; ++d) {
            simplex[i][d] = simplex[order[0]][d] + 0.5 * (simplex[i][d] - simplex[order[0]][d]);
          }
          value[i] = f(simplex[i]);
        }
      }
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < 4; ++i) {
    if (value[i] < value[best]) best = i;
  }
  return make(simplex[best]);
}

}  // namespace

ReplicaParams replica_params(const GpuSpec& gpu, int tp, double model_params_b,
                             const EngineCoefficients& c, int max_batch_override) {
  ReplicaParams p;
  const double bandwidth = tp * gpu.memory_tb_per_s * 1e12 * c.bandwidth_efficiency;
  const double flops = tp * gpu.dense_tflops * 1e12 * c.flops_efficiency;
  const double weight_bytes = model_params_b * 1e9 * gpu.bytes_per_param;
  const double kv_bytes = kv_bytes_per_token_16bit(model_params_b) * gpu.bytes_per_param / 2;
  p.t_fixed_s = weight_bytes / bandwidth + c.iteration_overhead_s;
  p.t_token_s = 2 * model_params_b * 1e9 / flops;
  p.t_kv_s = kv_bytes / bandwidth;
  p.t_attn_pair_s = 4 * layers_times_width(model_params_b) / flops;
  p.kv_capacity_tokens =
      static_cast<int64_t>(std::max(0.0, kv_cache_bytes(gpu, tp, model_params_b)) / kv_bytes);
  p.max_batch = max_batch_override > 0 ? max_batch_override : c.max_batch;
  return p;
}

double saturated_output_tokens_per_s(const ReplicaParams& p, double in, double out) {
  const double batch = std::max(
      1.0, std::min<double>(p.max_batch,
                            std::floor(static_cast<double>(p.kv_capacity_tokens) / (in + out))));
  const double iteration = p.t_fixed_s + batch * p.t_token_s + batch * (in + out / 2) * p.t_kv_s +
                           (batch / out) * (in * p.t_token_s + p.t_attn_pair_s * in * in / 2);
  return batch / iteration;
}

double idle_ttft_s(const ReplicaParams& p, int64_t in) {
  double t = 0;
  for (int64_t done = 0; done < in || (in == 0 && t == 0);) {
    const int64_t chunk = std::min<int64_t>(p.prefill_chunk_tokens, in - done);
    t += p.t_fixed_s + static_cast<double>(chunk) * p.t_token_s +
         p.t_attn_pair_s * static_cast<double>(chunk) *
             (static_cast<double>(done) + static_cast<double>(chunk) / 2.0);
    done += chunk;
    if (in == 0) break;
  }
  return t;
}

std::span<const PublishedThroughput> published_throughputs() {
  return kPublished;
}

double predict(const PublishedThroughput& point, const EngineCoefficients& c) {
  const GpuSpec* gpu = find_gpu(point.gpu);
  const ReplicaParams p = replica_params(*gpu, point.tp, point.params_b, c);
  return saturated_output_tokens_per_s(p, point.input_tokens, point.output_tokens);
}

EngineCoefficients fit_coefficients(std::span<const PublishedThroughput> points) {
  EngineCoefficients best;
  double best_error = std::numeric_limits<double>::infinity();
  for (const int max_batch : {128, 256, 384, 512, 768, 1024, 2048}) {
    const EngineCoefficients c = fit_continuous(points, max_batch);
    const double e = fit_error(points, c);
    if (e < best_error) best_error = e, best = c;
  }
  return best;
}

const EngineCoefficients& calibrated_coefficients() {
  static const EngineCoefficients coefficients = fit_coefficients(kPublished);
  return coefficients;
}

}  // namespace accord
