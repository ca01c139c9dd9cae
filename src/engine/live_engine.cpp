#include "engine/live_engine.h"

#include <chrono>
#include <cmath>

namespace accord {

class LiveReplica : public std::enable_shared_from_this<LiveReplica> {
 public:
  LiveReplica(asio::io_context& home, const ReplicaParams& params, const Clock& clock)
      : home_(home), timer_(home), clock_(clock), epoch_(clock.now()), model_(params) {}

  // Stops the timer; pending handlers hold a reference and end quietly.
  void stop() {
    std::lock_guard lock(mu_);
    stopped_ = true;
    asio::post(home_, [self = shared_from_this()] { self->timer_.cancel(); });
  }

  SeqId submit(int64_t prompt_tokens, int64_t output_tokens, std::shared_ptr<Waiter> waiter) {
    std::lock_guard lock(mu_);
    const double now = sync_locked();
    const SeqId id = model_.submit(now, prompt_tokens, output_tokens);
    waiters_.emplace(id, std::move(waiter));
    outstanding_.fetch_add(1, std::memory_order_relaxed);
    arm_locked();
    return id;
  }

  GenerationProgress progress(SeqId id) {
    std::lock_guard lock(mu_);
    const double now = sync_locked();
    GenerationProgress p;
    p.tokens = model_.tokens_generated(id, now);
    p.finished = model_.finished(id);
    const double first = model_.first_token_time(id);
    if (first != ReplicaModel::kNever) p.first_token_at = to_mono(first);
    const double next = model_.next_token_time(id, now);
    p.next_token_at = next == ReplicaModel::kNever ? Waiter::kForever : to_mono(next);
    return p;
  }

  void cancel(SeqId id) {
    std::lock_guard lock(mu_);
    model_.cancel(id, sync_locked());
    arm_locked();
  }

  void release(SeqId id) {
    std::lock_guard lock(mu_);
    sync_locked();
    model_.release(id);
    if (waiters_.erase(id) != 0) outstanding_.fetch_sub(1, std::memory_order_relaxed);
    arm_locked();
  }

  int64_t outstanding() const { return outstanding_.load(std::memory_order_relaxed); }

 private:
  MonoNanos to_mono(double t) const { return epoch_ + static_cast<MonoNanos>(t * 1e9); }

  // REQUIRES: mu_ held. Runs the model to now and wakes the sequences with news.
  double sync_locked() {
    const double now = std::max(model_.time(), nanos_to_seconds(clock_.now() - epoch_));
    events_.clear();
    model_.advance(now, events_);
    for (const EngineEvent& e : events_) {
      if (auto it = waiters_.find(e.seq); it != waiters_.end()) Waiter::notify(it->second);
    }
    return now;
  }

  // REQUIRES: mu_ held. Makes sure the timer fires by the model's next event.
  void arm_locked() {
    const double next = model_.next_event_time();
    if (next == ReplicaModel::kNever || next >= armed_for_ - 1e-7 || stopped_) return;
    armed_for_ = next;
    const auto at = asio::steady_timer::time_point(std::chrono::nanoseconds(to_mono(next)));
    asio::post(home_, [self = shared_from_this(), at] {
      self->timer_.expires_at(at);
      self->timer_.async_wait([self](error_code ec) {
        if (!ec) self->on_timer();
      });
    });
  }

  void on_timer() {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    armed_for_ = ReplicaModel::kNever;
    sync_locked();
    arm_locked();
  }

  asio::io_context& home_;
  asio::steady_timer timer_;  // used on home_ only
  const Clock& clock_;
  const MonoNanos epoch_;
  std::mutex mu_;
  ReplicaModel model_;                                          // guarded by mu_
  std::unordered_map<SeqId, std::shared_ptr<Waiter>> waiters_;  // guarded by mu_
  std::vector<EngineEvent> events_;                             // guarded by mu_
  double armed_for_ = ReplicaModel::kNever;                     // guarded by mu_
  bool stopped_ = false;                                        // guarded by mu_
  std::atomic<int64_t> outstanding_{0};
};

Generation::~Generation() {
  replica_->release(id_);
}

GenerationProgress Generation::progress() {
  return replica_->progress(id_);
}

void Generation::cancel() {
  replica_->cancel(id_);
}

LiveEngine::LiveEngine(EventLoops& loops, const ReplicaParams& params, int replicas,
                       const Clock& clock)
    : params_(params) {
  for (int i = 0; i < replicas; ++i) {
    replicas_.push_back(std::make_shared<LiveReplica>(loops.loop(i % loops.size()), params, clock));
  }
}

LiveEngine::~LiveEngine() {
  for (auto& r : replicas_) r->stop();
}

std::unique_ptr<Generation> LiveEngine::submit(int64_t prompt_tokens, int64_t output_tokens,
                                               std::shared_ptr<Waiter> waiter) {
  // Least outstanding sequences; ties broken round-robin.
  const size_t n = replicas_.size();
  const uint64_t start = next_.fetch_add(1, std::memory_order_relaxed);
  size_t best = start % n;
  for (size_t k = 1; k < n; ++k) {
    const size_t i = (start + k) % n;
    if (replicas_[i]->outstanding() < replicas_[best]->outstanding()) best = i;
  }
  const SeqId id = replicas_[best]->submit(prompt_tokens, output_tokens, std::move(waiter));
  return std::make_unique<Generation>(replicas_[best], id);
}

std::unique_ptr<Generation> LiveEngine::submit_on(int replica, int64_t prompt_tokens,
                                                  int64_t output_tokens,
                                                  std::shared_ptr<Waiter> waiter) {
  const auto& r = replicas_[static_cast<size_t>(replica)];
  const SeqId id = r->submit(prompt_tokens, output_tokens, std::move(waiter));
  return std::make_unique<Generation>(r, id);
}

int64_t LiveEngine::outstanding() const {
  int64_t n = 0;
  for (const auto& r : replicas_) n += r->outstanding();
  return n;
}

}  // namespace accord
