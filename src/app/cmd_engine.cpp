#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "app/commands.h"
#include "app/http_runner.h"
#include "engine/calibration.h"
#include "engine/engine_server.h"

namespace accord {

int run_engine(const EngineOptions& o) {
  const GpuSpec* gpu = find_gpu(o.gpu);
  if (gpu == nullptr) {
    fmt::print(stderr, "--gpu: unknown GPU '{}' (known: {})\n", o.gpu, known_gpu_names());
    return 1;
  }
  const int tp = o.tp > 0 ? o.tp : default_tensor_parallel(*gpu, o.gpus, o.model_params_b);
  if (tp == 0 || o.gpus % tp != 0 || kv_cache_bytes(*gpu, tp, o.model_params_b) <= 0) {
    fmt::print(stderr, "a {}B model does not fit {} × {} with tp {}\n", o.model_params_b, o.gpus,
               o.gpu, o.tp);
    return 1;
  }
  const Clock& clock = SystemClock::instance();
  const ReplicaParams params =
      replica_params(*gpu, tp, o.model_params_b, calibrated_coefficients(), o.max_batch);
  EventLoops loops(worker_count(o.workers));
  LiveEngine engine(loops, params, o.gpus / tp, clock);
  EngineLimits limits;
  limits.context_window = o.context_window;
  EngineServer server(engine, limits, o.model, clock);
  RunnerOptions run;
  run.listen = o.listen;
  run.drain_grace_ms = 10'000;
  run.on_listening = [&](const std::string& host, uint16_t port) {
    fmt::print(stderr,
               "accord engine (simulated): {}B on {} × {} (tp {}, {} replica(s), batch {}, KV "
               "{} tokens each) on http://{}:{}\n",
               o.model_params_b, o.gpus, o.gpu, tp, o.gpus / tp, params.max_batch,
               params.kv_capacity_tokens, host, port);
  };
  return run_http_server(loops, server, run);
}

}  // namespace accord
