// One HttpClientPool (and its deadline sweeper) per event loop, so upstream connections are
// pooled per loop without locks.
#pragma once

#include <memory>
#include <vector>

#include "http/client.h"
#include "runtime/deadline_sweeper.h"
#include "runtime/event_loops.h"

namespace accord {

class LoopClients {
 public:
  explicit LoopClients(EventLoops& loops);
  ~LoopClients();
  // The pool of the calling loop. REQUIRES: called on one of the loops.
  HttpClientPool& current();
  HttpClientPool& of(int loop) { return *per_loop_[static_cast<size_t>(loop)]->pool; }

 private:
  struct PerLoop {
    std::shared_ptr<DeadlineSweeper> sweeper;  // shared with the pool's connections
    std::unique_ptr<HttpClientPool> pool;
  };
  std::vector<std::unique_ptr<PerLoop>> per_loop_;
};

}  // namespace accord
