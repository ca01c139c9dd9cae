// PoolScheduler: the dispatch of one pool (DESIGN.md §3). It owns the pool's capacity — lanes
// of slots and KV-cache tokens (a built-in engine's replicas, or an upstream's endpoints taken
// together) — and its queues, and decides who runs next when capacity frees. Claims rank:
//   1. reserved: requests of a party within its reservation (a token bucket of the reserved
//      weighted tokens/s, burst_s deep), earliest deadline first (arrival + TTFT target);
//   2. priority: service_tier "priority" requests of parties allowed it;
//   3. shared: everything else, spilled reserved work included, by weighted virtual token
//      counters (VTC);
//   4. preemptible: research and flex work, only on capacity nobody else waits for, stopped
//      first when reserved work needs the slot back.
// A reservation is a floor, not a queue. Whether a request is within its reservation is decided
// when it arrives, by its estimate against the bucket (which is charged then and reconciled when
// it finishes): within, it is first in line; beyond, it competes at once as shared work
// (spillover) or is refused at once with retry-after (no spillover: the reservation is a ceiling
// too). So the bucket decides who goes first when capacity is short, never whether an idle pool
// serves: the scheduler is work-conserving.
//
// Capacity is what the pool runs at once while its latency targets hold: for a built-in pool
// (`latency` set) each lane's slots follow the request mix through latency_batch(); an upstream
// pool's (`adaptive` set) follow an AdaptiveLimit fed by on_upstream_sample(). `headroom_slots`
// stay free of shared work for reserved bursts (preemptible work may borrow them: it is stopped
// the moment reserved work needs them). A request that cannot start before its deadline is refused
// at once (429 with retry-after), never left to time out. With `fcfs` it is plain
// first-come-first-served over the same capacity, for comparison.
//
// Runs on virtual time: the caller passes `now` and calls on_time() at next_wakeup(), so the
// same code serves the gateway (behind a mutex, real time) and the simulator. Not thread-safe.
// Costs O(log n) per request (O(reservations + lanes) for the scan of heads and lanes).
#pragma once

#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <vector>

#include "engine/calibration.h"
#include "sched/adaptive_limit.h"
#include "sched/latency_capacity.h"
#include "sched/output_estimator.h"
#include "sched/ticket.h"
#include "sched/token_bucket.h"
#include "sched/upstream_sample.h"
#include "sched/vtc.h"

namespace accord {

struct Lane {
  int slots = 1;
  int64_t kv_tokens = INT64_MAX;  // unbounded for upstreams
};

struct ReservationSpec {
  PartyId party = kNone;
  ModelId model = kNone;
  double tokens_per_s = 0;
  double burst_s = 1;
  bool spillover = true;
  MonoNanos ttft_target = 0;  // 0: the pool's max queue time
};

// A built-in pool's lanes are replicas of this cost model; their slots are sized for `targets`.
struct LatencyModel {
  ReplicaParams replica;
  LatencyTargets targets;
};

struct SchedulerConfig {
  std::vector<Lane> lanes;
  std::optional<LatencyModel> latency;  // set: the lanes' slots follow the request mix
  // Set (upstream pools, one lane): lane 0's slots follow an adaptive limit learned from the
  // latency of finished requests and the upstream's 429s.
  std::optional<AdaptiveLimitConfig> adaptive;
  int headroom_slots = 0;
  MonoNanos max_queue = 30 * kNanosPerSecond;
  // The pool's TTFT target (its slo), the deadline of priority and shared work (0: max_queue).
  MonoNanos shared_ttft_target = 0;
  bool fcfs = false;
  std::vector<ReservationSpec> reservations;
  std::vector<double> party_weights;  // by PartyId; missing: 1
};

struct SchedulerStats {
  int slots_total = 0;
  int slots_used = 0;
  int64_t kv_used = 0;
  size_t queued_reserved = 0;
  size_t queued_priority = 0;
  size_t queued_shared = 0;
  size_t queued_preemptible = 0;
  int64_t dispatched = 0;
  int64_t refused = 0;
  int64_t preempted = 0;
  int64_t requeued = 0;
  int64_t spilled = 0;
};

class PoolScheduler {
 public:
  explicit PoolScheduler(SchedulerConfig config);

  // The ticket is dispatched at once (kRunning), queued (kQueued) or refused (kRefused).
  void submit(const std::shared_ptr<Ticket>& ticket, MonoNanos now);
  // The request ended: frees its capacity, reconciles its estimate with `actual_weighted`.
  // `output_tokens` (per request, all choices; -1: unknown, e.g. it failed) teaches the output
  // estimator what this party's requests produce.
  void finish(Ticket& ticket, double actual_weighted, MonoNanos now, int64_t output_tokens = -1);
  // The client left: out of the queue, or (if running) finished with nothing used.
  void withdraw(Ticket& ticket, MonoNanos now);

  // Deadlines and reservation refills: call on_time() at next_wakeup() (or any time).
  MonoNanos next_wakeup(MonoNanos now);
  void on_time(MonoNanos now);

  // An upstream pool's request finished: its latency per output token, and whether the upstream
  // failed it (REQUIRES: before finish(), so that it counts itself as running). Feeds the
  // adaptive limit, if the pool has one.
  void on_upstream_sample(const UpstreamSample& sample, MonoNanos now);

  SchedulerStats stats() const;
  const SchedulerConfig& config() const { return config_; }
  // A reservation's bucket level (for metrics): weighted tokens available now.
  double reservation_level(size_t i, MonoNanos now) { return reservations_[i].bucket.level(now); }

  static constexpr MonoNanos kNever = INT64_MAX / 4;

 private:
  struct LaneState {
    Lane capacity;       // slots: what it runs at once while the latency targets hold
    int hard_slots = 0;  // what it can run at all (the engine's batch cap, the max_inflight)
    int used_reserved = 0;
    int used_slots = 0;
    int64_t used_kv = 0;
  };
  struct ReservationState {
    ReservationSpec spec;
    TokenBucket bucket;
    std::deque<std::shared_ptr<Ticket>> queue;  // arrival order = deadline order
  };
  using Deadline = std::tuple<MonoNanos, uint64_t, std::shared_ptr<Ticket>>;

  int find_reservation(PartyId party, ModelId model) const;
  double weight(PartyId party) const;
  // A lane with room for `t`, or -1. `keep` slots stay free of non-preemptible work. Reserved
  // work may overdraw a lane's latency limit (reserved_overdraft()), within its hard limit: a
  // reserved request must not wait for a slot to free (in a batch that started together that
  // can take a whole generation), and the other classes only start below the limit again, so
  // the overdraft is brief and bounded by the reservations' rate.
  int fitting_lane(const Ticket& t, int keep, bool reserved = false) const;
  // Slots a lane of `slots` lends reserved work beyond its latency limit: what the reservations
  // hold at their full rate (Little's law: requests/s × the mean hold), spread over the lanes,
  // and at least an eighth of the limit.
  int reserved_overdraft(int slots) const;
  void estimate(Ticket& t);
  void enqueue(const std::shared_ptr<Ticket>& t, MonoNanos now);
  // Gives a reserved ticket's bucket charge back (it never ran).
  void uncharge(Ticket& t, MonoNanos now);
  // Lane `lane` runs at most `slots` at once from now on.
  void set_lane_slots(size_t lane, int slots, MonoNanos now);
  // Resizes the lanes of a built-in pool for the request mix seen so far.
  void resize_for_mix();
  // A request of `prompt_tokens` that will likely produce `output_tokens` per choice arrived.
  void observe_mix(double prompt_tokens, double output_tokens);
  // `mean` moves towards `sample` (0: no sample yet).
  static void moving_average(double& mean, double sample);
  bool reserved_waiting() const;
  void dispatch(MonoNanos now);
  bool dispatch_one(MonoNanos now);
  void start(const std::shared_ptr<Ticket>& t, int lane, MonoNanos now);
  void release_lane(Ticket& t);
  void refuse(Ticket& t, ErrorKind kind, std::string message, MonoNanos retry_after);
  bool preempt_for(const Ticket& reserved, MonoNanos now);
  // When a reserved ticket that finds no slot reclaims one from preemptible work.
  MonoNanos reclaim_at(const Ticket& t) const;
  void overdue_reserved(const std::shared_ptr<Ticket>& t, MonoNanos now);
  bool remove_queued(Ticket& t);
  MonoNanos expected_wait(const Ticket& t) const;
  void arm_deadline(const std::shared_ptr<Ticket>& t);

  SchedulerConfig config_;
  std::vector<LaneState> lanes_;
  int slots_total_ = 0;
  int slots_used_ = 0;
  int slots_used_preemptible_ = 0;  // evictable: does not count against the headroom
  std::vector<ReservationState> reservations_;
  std::deque<std::shared_ptr<Ticket>> priority_;
  std::deque<std::shared_ptr<Ticket>> fcfs_;
  Vtc<Ticket> shared_;
  Vtc<Ticket> preemptible_;
  // Running preemptible tickets by start time (youngest last): the victims of a reclaim.
  std::map<std::pair<MonoNanos, uint64_t>, std::shared_ptr<Ticket>> running_preemptible_;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> deadlines_;
  uint64_t next_sequence_ = 0;
  const Ticket* submitting_ = nullptr;  // not notified: its submitter reads the state on return
  double max_estimate_ = 0;
  OutputEstimator outputs_;
  std::optional<AdaptiveLimit> adaptive_;
  // The request mix (EWMA of prompt and output tokens per sequence), for `latency`.
  double mean_prompt_ = 0, mean_output_ = 0;
  double sized_prompt_ = 0, sized_output_ = 0;  // the mix the lanes were last sized for
  double mean_hold_ns_ = 0;                     // EWMA of how long a request holds a slot
  double reserved_rate_ = 0;                    // the reservations' weighted tokens/s, all together
  double mean_reserved_estimate_ = 0;           // EWMA of a reserved request's weighted estimate
  SchedulerStats counters_;
};

}  // namespace accord
