// EngineServer: the built-in engine as a standalone OpenAI-compatible server (`accord engine`),
// for tests and benchmarks: any model name is accepted and echoed, no keys are needed, and every
// answer is marked simulated (system_fingerprint "accord-sim").
#pragma once

#include <string>

#include "core/clock.h"
#include "engine/live_engine.h"
#include "engine/openai_responder.h"
#include "http/server.h"

namespace accord {

class EngineServer final : public HttpHandler {
 public:
  EngineServer(LiveEngine& engine, EngineLimits limits, std::string model_name, const Clock& clock)
      : engine_(engine), limits_(limits), model_name_(std::move(model_name)), clock_(clock) {}

  asio::awaitable<void> handle(HttpExchange& exchange) override;

 private:
  LiveEngine& engine_;
  EngineLimits limits_;
  std::string model_name_;
  const Clock& clock_;
};

}  // namespace accord
