// LiveEngine: a built-in pool served in real time. Each replica (tp GPUs) is a ReplicaModel
// driven by the wall clock: a timer on the replica's home loop fires at the model's next event,
// and the requests waiting on that replica (on any loop) are woken through their Waiter. Token
// timing therefore follows the calibrated cost model, so the simulator and the gateway agree.
// Thread-safe: each replica has its own mutex; submit() picks the least loaded replica.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "engine/replica_model.h"
#include "runtime/event_loops.h"
#include "runtime/waiter.h"

namespace accord {

class LiveReplica;

struct GenerationProgress {
  int64_t tokens = 0;  // produced so far
  bool finished = false;
  MonoNanos first_token_at = 0;  // 0 until the first token
  MonoNanos next_token_at = 0;   // when to look again
};

// One sequence on one replica; shared by the request and the engine. Releasing the last
// reference frees the sequence (cancelling it if it still runs).
class Generation {
 public:
  Generation(std::shared_ptr<LiveReplica> replica, SeqId id)
      : replica_(std::move(replica)), id_(id) {}
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  GenerationProgress progress();
  void cancel();

 private:
  std::shared_ptr<LiveReplica> replica_;
  SeqId id_;
};

class LiveEngine {
 public:
  // `replicas` replicas of `params`; replica i's timer lives on loop i mod loops.size().
  LiveEngine(EventLoops& loops, const ReplicaParams& params, int replicas, const Clock& clock);
  ~LiveEngine();

  // Starts a sequence; `waiter` is notified at its first token and when it finishes (several
  // sequences of one request may share a waiter).
  std::unique_ptr<Generation> submit(int64_t prompt_tokens, int64_t output_tokens,
                                     std::shared_ptr<Waiter> waiter);
  // The same on a given replica (the pool scheduler's choice); REQUIRES: 0 <= replica < replicas.
  std::unique_ptr<Generation> submit_on(int replica, int64_t prompt_tokens, int64_t output_tokens,
                                        std::shared_ptr<Waiter> waiter);

  int replicas() const { return static_cast<int>(replicas_.size()); }
  const ReplicaParams& params() const { return params_; }
  // Sequences running or waiting, over all replicas.
  int64_t outstanding() const;

 private:
  ReplicaParams params_;
  std::vector<std::shared_ptr<LiveReplica>> replicas_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace accord
