#include "sched/pool_scheduler.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace accord {

const char* to_string(SchedClass c) {
  switch (c) {
    case SchedClass::kReserved:
      return "reserved";
    case SchedClass::kShared:
      return "shared";
    case SchedClass::kPreemptible:
      return "preemptible";
  }
  return "shared";
}

PoolScheduler::PoolScheduler(SchedulerConfig config) : config_(std::move(config)) {
  for (const Lane& lane : config_.lanes) {
    lanes_.push_back({lane, lane.slots, 0, 0, 0});
    slots_total_ += lane.slots;
  }
  for (const ReservationSpec& spec : config_.reservations) {
    reservations_.push_back(
        {spec, TokenBucket(spec.tokens_per_s, spec.tokens_per_s * spec.burst_s), {}});
    reserved_rate_ += spec.tokens_per_s;
  }
  resize_for_mix();
  if (config_.adaptive && !lanes_.empty()) {
    adaptive_.emplace(*config_.adaptive);
    slots_total_ += adaptive_->limit() - lanes_[0].capacity.slots;
    lanes_[0].capacity.slots = adaptive_->limit();
  }
}

int PoolScheduler::find_reservation(PartyId party, ModelId model) const {
  for (size_t i = 0; i < reservations_.size(); ++i) {
    if (reservations_[i].spec.party == party && reservations_[i].spec.model == model) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

double PoolScheduler::weight(PartyId party) const {
  if (party >= 0 && static_cast<size_t>(party) < config_.party_weights.size()) {
    return config_.party_weights[static_cast<size_t>(party)];
  }
  return 1.0;
}

void PoolScheduler::submit(const std::shared_ptr<Ticket>& t, MonoNanos now) {
  t->arrived_at = now;
  t->sequence_ = next_sequence_++;
  t->deadline = now + config_.max_queue;
  estimate(*t);
  if (t->estimated_) {  // the mix as it arrives (completions come shortest first)
    const auto prompt = static_cast<double>(t->prompt_tokens);
    const double output =
        (t->weighted_estimate - prompt) / std::max(1e-9, t->output_weight) / std::max(1, t->slots);
    observe_mix(prompt, output);
  }
  if (t->weighted_estimate > max_estimate_) {
    max_estimate_ = t->weighted_estimate;
    // A reservation's burst is never less than twice the largest single request.
    for (ReservationState& r : reservations_) {
      r.bucket.set_depth(std::max(r.spec.tokens_per_s * r.spec.burst_s, 2 * max_estimate_));
    }
  }
  submitting_ = t.get();
  enqueue(t, now);
  if (t->state == Ticket::State::kQueued) dispatch(now);
  if (t->state != Ticket::State::kQueued) {
    submitting_ = nullptr;
    return;
  }
  if (t->cls != SchedClass::kReserved || config_.fcfs) {
    const MonoNanos wait = expected_wait(*t);
    if (now + wait > t->deadline) {
      remove_queued(*t);
      if (wait >= kNever) {
        refuse(*t, ErrorKind::kCapacityExceeded,
               "The pool has no idle capacity for preemptible work now.",
               std::max<MonoNanos>(kNanosPerMilli, static_cast<MonoNanos>(mean_hold_ns_)));
      } else {
        refuse(*t, ErrorKind::kCapacityExceeded,
               fmt::format("The pool is at capacity: this request would wait about {} ms, more "
                           "than its limit of {} ms.",
                           wait / kNanosPerMilli, (t->deadline - now) / kNanosPerMilli),
               wait - (t->deadline - now));
      }
      submitting_ = nullptr;
      return;
    }
  }
  submitting_ = nullptr;
  arm_deadline(t);
}

void PoolScheduler::enqueue(const std::shared_ptr<Ticket>& t, MonoNanos now) {
  t->state = Ticket::State::kQueued;
  if (config_.fcfs) {
    t->cls = t->preemptible ? SchedClass::kPreemptible : SchedClass::kShared;
    fcfs_.push_back(t);
    return;
  }
  t->reservation_ = find_reservation(t->party, t->model);
  if (t->reservation_ >= 0 && t->times_requeued == 0 && t->cls != SchedClass::kPreemptible) {
    ReservationState& r = reservations_[static_cast<size_t>(t->reservation_)];
    if (r.bucket.can_take(now, t->weighted_estimate)) {
      // Within the reservation: charged now (reconciled when it finishes), first in line.
      r.bucket.take(now, t->weighted_estimate);
      t->charged_bucket_ = true;
      moving_average(mean_reserved_estimate_, t->weighted_estimate);
      t->cls = SchedClass::kReserved;
      t->deadline = now + (r.spec.ttft_target > 0 ? r.spec.ttft_target : config_.max_queue);
      r.queue.push_back(t);
      return;
    }
    if (!r.spec.spillover) {  // the reservation is a ceiling too
      refuse(*t, ErrorKind::kCapacityExceeded,
             fmt::format("Over the reserved rate of {} weighted tokens/s for this party and "
                         "model (no spillover).",
                         r.spec.tokens_per_s),
             r.bucket.available_at(now, t->weighted_estimate) - now);
      return;
    }
    ++counters_.spilled;  // beyond it: shared work at once, at the tier it asked for
  }
  if (!t->preemptible && config_.shared_ttft_target > 0) {
    // The pool's own TTFT target: what cannot start in time is refused at once, not served late.
    t->deadline = std::min(t->deadline, now + config_.shared_ttft_target);
  }
  if (t->preemptible) {
    t->cls = SchedClass::kPreemptible;
    preemptible_.push(t->party, weight(t->party), t);
  } else if (t->priority) {
    t->cls = SchedClass::kShared;
    priority_.push_back(t);
  } else {
    t->cls = SchedClass::kShared;
    // Nobody waits and there is room: start it at once, charged as VTC would have charged it.
    if (shared_.empty() && priority_.empty() && !reserved_waiting()) {
      if (const int lane = fitting_lane(*t, config_.headroom_slots); lane >= 0) {
        shared_.serve_now(t->party, weight(t->party), t->weighted_estimate);
        start(t, lane, now);
        return;
      }
    }
    shared_.push(t->party, weight(t->party), t);
  }
}

bool PoolScheduler::reserved_waiting() const {
  for (const ReservationState& r : reservations_) {
    if (!r.queue.empty()) return true;
  }
  return false;
}

void PoolScheduler::dispatch(MonoNanos now) {
  while (dispatch_one(now)) {
  }
}

bool PoolScheduler::dispatch_one(MonoNanos now) {
  if (config_.fcfs) {
    if (fcfs_.empty()) return false;
    const int lane = fitting_lane(*fcfs_.front(), 0);
    if (lane < 0) return false;
    auto t = std::move(fcfs_.front());
    fcfs_.pop_front();
    start(t, lane, now);
    return true;
  }
  // 1. Reserved (already charged to its bucket): the earliest deadline among the heads.
  ReservationState* best = nullptr;
  for (ReservationState& r : reservations_) {
    if (r.queue.empty()) continue;
    if (best == nullptr || r.queue.front()->deadline < best->queue.front()->deadline) best = &r;
  }
  if (best != nullptr) {
    const Ticket& head = *best->queue.front();
    int lane = fitting_lane(head, 0, true);
    // No slot: wait for one to free, up to half the TTFT budget (the rest is for the prefill);
    // past that it would miss its deadline, so preemptible work gives its slot back.
    if (lane < 0 && now >= reclaim_at(head) && preempt_for(head, now)) {
      lane = fitting_lane(head, 0, true);
    }
    if (lane < 0) return false;  // the next free slot is theirs
    auto t = std::move(best->queue.front());
    best->queue.pop_front();
    start(t, lane, now);
    return true;
  }
  // 2. Priority, 3. shared: only above the headroom kept for reserved bursts; 4. preemptible:
  // anywhere free.
  const int keep = config_.headroom_slots;
  if (!priority_.empty()) {
    const int lane = fitting_lane(*priority_.front(), keep);
    if (lane >= 0) {
      auto t = std::move(priority_.front());
      priority_.pop_front();
      shared_.charge(t->party, t->weighted_estimate);  // priority use counts towards fair share
      start(t, lane, now);
      return true;
    }
  } else if (!shared_.empty()) {
    const int lane = fitting_lane(**shared_.peek(), keep);
    if (lane >= 0) {
      auto t = shared_.pop((*shared_.peek())->weighted_estimate);
      start(t, lane, now);
      return true;
    }
  }
  // Shared work that waits cannot use the headroom, so only the headroom is left to borrow then.
  if (!preemptible_.empty()) {
    // Preemptible work may borrow the headroom too: reserved work takes it back by preemption.
    const int lane = fitting_lane(**preemptible_.peek(), 0);
    if (lane < 0) return false;
    auto t = preemptible_.pop((*preemptible_.peek())->weighted_estimate);
    start(t, lane, now);
    return true;
  }
  return false;
}

void PoolScheduler::start(const std::shared_ptr<Ticket>& t, int lane, MonoNanos now) {
  LaneState& l = lanes_[static_cast<size_t>(lane)];
  l.used_slots += t->slots;
  l.used_kv += t->kv_tokens;
  if (t->cls == SchedClass::kReserved) l.used_reserved += t->slots;
  slots_used_ += t->slots;
  if (t->cls == SchedClass::kPreemptible) slots_used_preemptible_ += t->slots;
  t->lane = lane;
  t->holds_lane_ = true;
  t->state = Ticket::State::kRunning;
  t->started_at = now;
  t->charged_ = t->weighted_estimate;
  if (t->cls == SchedClass::kPreemptible)
    running_preemptible_.emplace(std::make_pair(now, t->sequence_), t);
  ++counters_.dispatched;
  if (t.get() != submitting_) t->notify();
}

void PoolScheduler::release_lane(Ticket& t) {
  if (!t.holds_lane_) return;
  LaneState& l = lanes_[static_cast<size_t>(t.lane)];
  l.used_slots -= t.slots;
  l.used_kv -= t.kv_tokens;
  if (t.cls == SchedClass::kReserved) l.used_reserved -= t.slots;
  slots_used_ -= t.slots;
  if (t.cls == SchedClass::kPreemptible) slots_used_preemptible_ -= t.slots;
  t.holds_lane_ = false;
  running_preemptible_.erase({t.started_at, t.sequence_});
}

void PoolScheduler::finish(Ticket& t, double actual, MonoNanos now, int64_t output_tokens) {
  if (output_tokens >= 0 && t.state == Ticket::State::kRunning && t.estimated_) {
    outputs_.observe(t.party, t.model, static_cast<double>(output_tokens) / std::max(1, t.slots));
  }
  if (t.state == Ticket::State::kRunning) {
    release_lane(t);
    const double difference = actual - t.charged_;
    if (t.charged_bucket_) {
      TokenBucket& bucket = reservations_[static_cast<size_t>(t.reservation_)].bucket;
      if (difference < 0) {
        bucket.give_back(now, -difference);
      } else {
        bucket.take(now, difference);
      }
    } else if (t.cls == SchedClass::kPreemptible) {
      preemptible_.charge(t.party, difference);
    } else {
      shared_.charge(t.party, difference);
    }
    const double hold = static_cast<double>(now - t.started_at);
    mean_hold_ns_ = mean_hold_ns_ == 0 ? hold : 0.9 * mean_hold_ns_ + 0.1 * hold;
    t.state = Ticket::State::kFinished;
  }
  dispatch(now);
}

void PoolScheduler::uncharge(Ticket& t, MonoNanos now) {
  if (!t.charged_bucket_) return;
  reservations_[static_cast<size_t>(t.reservation_)].bucket.give_back(now, t.weighted_estimate);
  t.charged_bucket_ = false;
}

void PoolScheduler::withdraw(Ticket& t, MonoNanos now) {
  if (t.state == Ticket::State::kQueued) {
    remove_queued(t);
    uncharge(t, now);
    t.state = Ticket::State::kWithdrawn;
  } else if (t.state == Ticket::State::kRunning) {
    finish(t, 0, now);
    return;
  }
  dispatch(now);
}

bool PoolScheduler::remove_queued(Ticket& t) {
  auto erase_from = [&t](std::deque<std::shared_ptr<Ticket>>& q) {
    for (auto it = q.begin(); it != q.end(); ++it) {
      if (it->get() == &t) {
        q.erase(it);
        return true;
      }
    }
    return false;
  };
  if (config_.fcfs) return erase_from(fcfs_);
  if (t.cls == SchedClass::kReserved) {
    return erase_from(reservations_[static_cast<size_t>(t.reservation_)].queue);
  }
  if (t.cls == SchedClass::kPreemptible) return preemptible_.remove(t.party, &t);
  return erase_from(priority_) || shared_.remove(t.party, &t);
}

void PoolScheduler::refuse(Ticket& t, ErrorKind kind, std::string message, MonoNanos retry_after) {
  t.state = Ticket::State::kRefused;
  t.refusal = Error::internal(kind, std::move(message));
  t.refusal.retry_after_ms =
      std::max<int64_t>(1, (retry_after + kNanosPerMilli - 1) / kNanosPerMilli);
  ++counters_.refused;
  if (&t != submitting_) t.notify();
}

MonoNanos PoolScheduler::expected_wait(const Ticket& t) const {
  if (mean_hold_ns_ <= 0 || slots_total_ == 0) return 0;
  size_t reserved = 0;
  for (const ReservationState& r : reservations_) reserved += r.queue.size();
  size_t ahead = 0;
  if (config_.fcfs) {
    ahead = fcfs_.size();
  } else if (t.cls == SchedClass::kPreemptible) {
    // With shared work waiting, preemptible work runs in the headroom only.
    const bool shared_waits = !shared_.empty() || !priority_.empty() || reserved > 0;
    const int capacity = shared_waits ? config_.headroom_slots : slots_total_;
    if (capacity <= 0) return kNever;
    const double turns =
        std::ceil(static_cast<double>(preemptible_.size()) / static_cast<double>(capacity));
    return static_cast<MonoNanos>(turns * mean_hold_ns_);
  } else if (t.priority) {
    ahead = reserved + priority_.size();
  } else {
    // Fair sharing serves the active parties in turn: about the party's own backlog times the
    // number of parties waiting.
    const size_t own = shared_.queued(t.party);
    ahead = reserved + priority_.size() +
            std::min(shared_.size(), own * std::max<size_t>(1, shared_.active_parties()));
  }
  const double turns = std::ceil(static_cast<double>(ahead) / slots_total_);
  return static_cast<MonoNanos>(turns * mean_hold_ns_);
}

void PoolScheduler::arm_deadline(const std::shared_ptr<Ticket>& t) {
  deadlines_.emplace(t->deadline, t->sequence_, t);
}

bool PoolScheduler::preempt_for(const Ticket& reserved, MonoNanos now) {
  for (auto it = running_preemptible_.rbegin(); it != running_preemptible_.rend(); ++it) {
    const std::shared_ptr<Ticket> victim = it->second;
    const LaneState& l = lanes_[static_cast<size_t>(victim->lane)];
    const bool slots_ok = l.used_slots - victim->slots + reserved.slots <= l.capacity.slots;
    const bool kv_ok = l.capacity.kv_tokens == INT64_MAX ||
                       l.used_kv - victim->kv_tokens + reserved.kv_tokens <= l.capacity.kv_tokens;
    if (!slots_ok || !kv_ok) continue;
    release_lane(*victim);  // invalidates `it`
    preemptible_.charge(victim->party, -victim->charged_);
    if (victim->flex && !victim->output_started.load(std::memory_order_acquire)) {
      // Nothing reached its client yet: back in the queue, not failed.
      victim->state = Ticket::State::kQueued;
      ++victim->times_requeued;
      ++counters_.requeued;
      victim->deadline = now + config_.max_queue;
      preemptible_.push(victim->party, weight(victim->party), victim);
      arm_deadline(victim);
    } else {
      victim->state = Ticket::State::kPreempted;
      victim->refusal = Error::internal(ErrorKind::kPreempted,
                                        "This preemptible request was stopped to give its "
                                        "capacity back to reserved work.");
      victim->refusal.code = "preempted";
      ++counters_.preempted;
    }
    victim->notify();
    return true;
  }
  return false;
}

void PoolScheduler::overdue_reserved(const std::shared_ptr<Ticket>& t, MonoNanos now) {
  const MonoNanos last_chance = t->arrived_at + config_.max_queue;
  if (now < last_chance) {
    // Within the reservation and only waiting for a slot: it stays first in line.
    t->deadline = last_chance;
    arm_deadline(t);
    return;
  }
  remove_queued(*t);
  uncharge(*t, now);
  refuse(*t, ErrorKind::kCapacityExceeded,
         fmt::format("The pool could not start this request within {} ms.",
                     (now - t->arrived_at) / kNanosPerMilli),
         std::max<MonoNanos>(kNanosPerMilli, static_cast<MonoNanos>(mean_hold_ns_)));
}

void PoolScheduler::on_time(MonoNanos now) {
  while (!deadlines_.empty() && std::get<0>(deadlines_.top()) <= now) {
    auto [deadline, sequence, t] = deadlines_.top();
    deadlines_.pop();
    if (t->state != Ticket::State::kQueued || t->deadline != deadline) continue;
    if (t->cls == SchedClass::kReserved && !config_.fcfs) {
      overdue_reserved(t, now);
    } else {
      remove_queued(*t);
      refuse(*t, ErrorKind::kCapacityExceeded,
             fmt::format("The pool could not start this request within {} ms.",
                         (now - t->arrived_at) / kNanosPerMilli),
             std::max<MonoNanos>(kNanosPerMilli, static_cast<MonoNanos>(mean_hold_ns_)));
    }
  }
  dispatch(now);
}

MonoNanos PoolScheduler::reclaim_at(const Ticket& t) const {
  return t.arrived_at + (t.deadline - t.arrived_at) / 2;
}

MonoNanos PoolScheduler::next_wakeup(MonoNanos now) {
  while (!deadlines_.empty()) {
    const auto& [deadline, sequence, t] = deadlines_.top();
    if (t->state == Ticket::State::kQueued && t->deadline == deadline) break;
    deadlines_.pop();
  }
  MonoNanos next = deadlines_.empty() ? kNever : std::get<0>(deadlines_.top());
  for (ReservationState& r : reservations_) {
    if (r.queue.empty() || running_preemptible_.empty()) continue;
    const Ticket& head = *r.queue.front();
    // Past its reclaim time, dispatch already tried to preempt: the next chance is a finish.
    if (fitting_lane(head, 0, true) < 0 && reclaim_at(head) > now)
      next = std::min(next, reclaim_at(head));
  }
  return next;
}

SchedulerStats PoolScheduler::stats() const {
  SchedulerStats s = counters_;
  s.slots_total = slots_total_;
  s.slots_used = slots_used_;
  for (const LaneState& l : lanes_) s.kv_used += l.used_kv;
  for (const ReservationState& r : reservations_) s.queued_reserved += r.queue.size();
  s.queued_priority = priority_.size();
  s.queued_shared = shared_.size() + (config_.fcfs ? fcfs_.size() : 0);
  s.queued_preemptible = preemptible_.size();
  return s;
}

}  // namespace accord
