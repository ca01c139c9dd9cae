// EngineBackend: a pool of the built-in simulated engine (`engine: builtin`). The scheduler's lane
// is the replica the request runs on.
#pragma once

#include <memory>

#include "backend/backend.h"
#include "core/clock.h"
#include "engine/live_engine.h"

namespace accord {

class EngineBackend final : public Backend {
 public:
  EngineBackend(std::shared_ptr<LiveEngine> engine, const Clock& clock)
      : engine_(std::move(engine)), clock_(clock) {}

  asio::awaitable<RunOutcome> run(HttpExchange& exchange, const BackendRequest& request,
                                  const HeaderLines& headers, const RunControl& control) override;
  bool ready() const override { return true; }

 private:
  std::shared_ptr<LiveEngine> engine_;
  const Clock& clock_;
};

}  // namespace accord
