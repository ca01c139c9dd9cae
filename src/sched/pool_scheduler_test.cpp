#include "sched/pool_scheduler.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

constexpr MonoNanos kMs = kNanosPerMilli;
constexpr PartyId kGold = 0, kA = 1, kB = 2, kResearch = 3;
constexpr ModelId kModel = 0;

struct TestTicket : Ticket {
  int notified = 0;
  void notify() override { ++notified; }
};

std::shared_ptr<TestTicket> ticket(PartyId party, double estimate = 100, bool preemptible = false) {
  auto t = std::make_shared<TestTicket>();
  t->party = party;
  t->model = kModel;
  t->weighted_estimate = estimate;
  t->kv_tokens = 10;
  t->preemptible = preemptible;
  return t;
}

SchedulerConfig config(int slots, int headroom = 0) {
  SchedulerConfig c;
  c.lanes = {Lane{slots, INT64_MAX}};
  c.headroom_slots = headroom;
  c.max_queue = 10'000 * kMs;
  return c;
}

ReservationSpec reservation(PartyId party, double rate, MonoNanos ttft, bool spillover = true) {
  ReservationSpec r;
  r.party = party;
  r.model = kModel;
  r.tokens_per_s = rate;
  r.burst_s = 1;
  r.spillover = spillover;
  r.ttft_target = ttft;
  return r;
}

TEST(PoolScheduler, DispatchesAtOnceWhenThereIsRoom) {
  PoolScheduler s(config(2));
  auto a = ticket(kA), b = ticket(kA), c = ticket(kA);
  s.submit(a, 0);
  s.submit(b, 0);
  s.submit(c, 0);
  EXPECT_EQ(a->state, Ticket::State::kRunning);
  EXPECT_EQ(b->state, Ticket::State::kRunning);
  EXPECT_EQ(c->state, Ticket::State::kQueued);
  s.finish(*a, 100, 10 * kMs);
  EXPECT_EQ(c->state, Ticket::State::kRunning);
  EXPECT_EQ(c->started_at, 10 * kMs);
}

TEST(PoolScheduler, ReservedGoesFirstEarliestDeadlineFirst) {
  SchedulerConfig c = config(1);
  c.reservations = {reservation(kGold, 1e6, 800 * kMs), reservation(kB, 1e6, 200 * kMs)};
  c.reservations[1].party = kB;
  PoolScheduler s(c);
  auto blocker = ticket(kA);
  s.submit(blocker, 0);
  auto shared = ticket(kA);
  auto gold = ticket(kGold);
  auto urgent = ticket(kB);
  s.submit(shared, 1 * kMs);
  s.submit(gold, 2 * kMs);    // deadline 802 ms
  s.submit(urgent, 3 * kMs);  // deadline 203 ms
  EXPECT_EQ(gold->cls, SchedClass::kReserved);
  EXPECT_EQ(shared->cls, SchedClass::kShared);
  s.finish(*blocker, 100, 10 * kMs);
  EXPECT_EQ(urgent->state, Ticket::State::kRunning);  // earliest deadline
  s.finish(*urgent, 100, 20 * kMs);
  EXPECT_EQ(gold->state, Ticket::State::kRunning);  // reserved before shared
  s.finish(*gold, 100, 30 * kMs);
  EXPECT_EQ(shared->state, Ticket::State::kRunning);
}

TEST(PoolScheduler, HeadroomIsKeptForReservedBursts) {
  SchedulerConfig c = config(4, /*headroom=*/2);
  c.reservations = {reservation(kGold, 1e6, 800 * kMs)};
  PoolScheduler s(c);
  std::vector<std::shared_ptr<TestTicket>> shared;
  for (int i = 0; i < 4; ++i) {
    shared.push_back(ticket(kA));
    s.submit(shared.back(), 0);
  }
  EXPECT_EQ(s.stats().slots_used, 2);  // two slots stay free
  auto g1 = ticket(kGold), g2 = ticket(kGold);
  s.submit(g1, 1 * kMs);
  s.submit(g2, 1 * kMs);
  EXPECT_EQ(g1->state, Ticket::State::kRunning);
  EXPECT_EQ(g2->state, Ticket::State::kRunning);
}

TEST(PoolScheduler, WithinItsBucketARequestIsReservedBeyondItSharedAtOnce) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, /*rate=*/1000, 500 * kMs)};  // 1 s burst: 1000 tokens
  PoolScheduler s(c);
  std::vector<std::shared_ptr<TestTicket>> t;
  for (int i = 0; i < 10; ++i) {
    t.push_back(ticket(kGold, 100));
    s.submit(t.back(), 0);
  }
  for (auto& x : t) {
    EXPECT_EQ(x->state, Ticket::State::kRunning);  // the burst
    EXPECT_EQ(x->cls, SchedClass::kReserved);
  }
  // Beyond the bucket it does not wait for a refill while the pool has room: it runs as shared.
  auto over = ticket(kGold, 100);
  s.submit(over, 0);
  EXPECT_EQ(over->state, Ticket::State::kRunning);
  EXPECT_EQ(over->cls, SchedClass::kShared);
  EXPECT_EQ(s.stats().spilled, 1);
  // 100 tokens refill in 100 ms: then it is within its reservation again.
  auto later = ticket(kGold, 100);
  s.submit(later, 100 * kMs + 1);
  EXPECT_EQ(later->cls, SchedClass::kReserved);
}

TEST(PoolScheduler, CompletionReturnsWhatWasNotUsed) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 1000, 500 * kMs)};  // 1,000 deep
  PoolScheduler s(c);
  auto a = ticket(kGold, 400), b = ticket(kGold, 400), over = ticket(kGold, 400);
  s.submit(a, 0);
  s.submit(b, 0);
  s.submit(over, 0);
  EXPECT_EQ(a->cls, SchedClass::kReserved);
  EXPECT_EQ(b->cls, SchedClass::kReserved);
  EXPECT_EQ(over->cls, SchedClass::kShared);  // 200 left: beyond the reservation
  EXPECT_DOUBLE_EQ(s.reservation_level(0, 0), 200);
  s.finish(*a, 100, 0);  // used 100 of its 400: 300 back, 500 in the bucket
  EXPECT_DOUBLE_EQ(s.reservation_level(0, 0), 500);
  auto next = ticket(kGold, 400);
  s.submit(next, 0);
  EXPECT_EQ(next->cls, SchedClass::kReserved);
}

TEST(PoolScheduler, AnUnderestimateTakesTheBucketBelowZeroByAtMostOneBurst) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 1000, 500 * kMs)};  // 1,000 deep
  PoolScheduler s(c);
  auto a = ticket(kGold, 500);
  s.submit(a, 0);
  s.finish(*a, 10'000, 0);  // used 20 times its estimate
  EXPECT_DOUBLE_EQ(s.reservation_level(0, 0), -1000);
  auto next = ticket(kGold, 100);
  s.submit(next, 0);
  EXPECT_EQ(next->cls, SchedClass::kShared);
  EXPECT_EQ(next->state, Ticket::State::kRunning);
}

TEST(PoolScheduler, BeyondTheReservationItCompetesAsSharedWorkAtOnce) {
  SchedulerConfig c = config(3);
  c.reservations = {reservation(kGold, 100, 800 * kMs)};
  PoolScheduler s(c);
  auto first = ticket(kGold, 200);  // the burst is raised to twice the largest request: 400
  s.submit(first, 0);
  auto second = ticket(kGold, 200);
  s.submit(second, 0);
  auto third = ticket(kGold, 200);
  s.submit(third, 0);
  EXPECT_EQ(third->state, Ticket::State::kRunning);  // the last slot: it never waits for refill
  EXPECT_EQ(third->cls, SchedClass::kShared);
  EXPECT_EQ(s.stats().spilled, 1);
  // With the pool full, spilled work queues as shared work, in fair order with the others.
  auto shared = ticket(kA, 200);
  auto fourth = ticket(kGold, 200);
  s.submit(shared, 1 * kMs);
  s.submit(fourth, 2 * kMs);
  EXPECT_EQ(fourth->cls, SchedClass::kShared);
  EXPECT_EQ(fourth->state, Ticket::State::kQueued);
  s.finish(*first, 200, 10 * kMs);
  s.finish(*second, 200, 20 * kMs);
  EXPECT_EQ(shared->state, Ticket::State::kRunning);
  EXPECT_EQ(fourth->state, Ticket::State::kRunning);
  EXPECT_EQ(fourth->cls, SchedClass::kShared);
}

TEST(PoolScheduler, WithoutSpilloverBeyondTheReservationIsRefusedAtOnce) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 100, 800 * kMs, /*spillover=*/false)};
  PoolScheduler s(c);
  for (int i = 0; i < 2; ++i) s.submit(ticket(kGold, 200), 0);
  auto over = ticket(kGold, 200);
  s.submit(over, 0);
  EXPECT_EQ(over->state, Ticket::State::kRefused);  // a ceiling: refused, though slots are free
  EXPECT_EQ(over->refusal.kind, ErrorKind::kCapacityExceeded);
  EXPECT_NEAR(over->refusal.retry_after_ms, 2000, 1);  // 200 tokens at 100/s
  EXPECT_EQ(over->notified, 0);                        // its submitter reads the state
}

TEST(PoolScheduler, OnAnIdlePoolAReservedRequestStartsAtOnceWhateverItsBucket) {
  SchedulerConfig c = config(4);
  c.reservations = {reservation(kGold, 10, 800 * kMs)};  // a bucket that any request empties
  PoolScheduler s(c);
  for (int i = 0; i < 4; ++i) {
    auto t = ticket(kGold, 1000);
    s.submit(t, i * kMs);
    EXPECT_EQ(t->state, Ticket::State::kRunning);
    EXPECT_EQ(t->started_at, i * kMs);
    s.finish(*t, 1000, i * kMs);
  }
}

// Two backlogged shared parties of equal weight, one sending twice the other's request size:
// the weighted tokens each is served stay within one large request of each other.
TEST(PoolScheduler, SharedCapacityIsSplitFairlyBetweenBackloggedParties) {
  double served[3] = {0, 0, 0};
  double max_gap = 0;
  MonoNanos now = 0;
  PoolScheduler fair(config(1));
  std::vector<std::shared_ptr<TestTicket>> all;
  for (int i = 0; i < 300; ++i) {
    all.push_back(ticket(kA, 100));
    fair.submit(all.back(), 0);
    all.push_back(ticket(kB, 200));
    fair.submit(all.back(), 0);
  }
  for (int step = 0; step < 400; ++step) {
    std::shared_ptr<TestTicket> run;
    for (auto& t : all) {
      if (t->state == Ticket::State::kRunning) run = t;
    }
    ASSERT_TRUE(run);
    served[run->party] += run->weighted_estimate;
    max_gap = std::max(max_gap, std::abs(served[kA] - served[kB]));
    now += kMs;
    fair.finish(*run, run->weighted_estimate, now);
  }
  EXPECT_LE(max_gap, 200 + 100);
  EXPECT_NEAR(served[kA] / served[kB], 1.0, 0.02);
}

TEST(PoolScheduler, PriorityRunsAheadOfOtherSharedWork) {
  PoolScheduler s(config(1));
  auto blocker = ticket(kA);
  s.submit(blocker, 0);
  auto normal = ticket(kA);
  auto urgent = ticket(kB);
  urgent->priority = true;
  s.submit(normal, 0);
  s.submit(urgent, 1 * kMs);
  s.finish(*blocker, 100, 2 * kMs);
  EXPECT_EQ(urgent->state, Ticket::State::kRunning);
  EXPECT_EQ(normal->state, Ticket::State::kQueued);
}

TEST(PoolScheduler, PreemptibleWorkOnlyUsesCapacityNobodyWaitsFor) {
  PoolScheduler s(config(1));
  auto blocker = ticket(kA);
  s.submit(blocker, 0);
  auto research = ticket(kResearch, 100, /*preemptible=*/true);
  auto shared = ticket(kB);
  s.submit(research, 0);
  s.submit(shared, 1 * kMs);
  s.finish(*blocker, 100, 2 * kMs);
  EXPECT_EQ(shared->state, Ticket::State::kRunning);
  EXPECT_EQ(research->state, Ticket::State::kQueued);
}

// Reserved demand reclaims a slot from the youngest preemptible request, which fails with
// code "preempted"; a flex request that has sent nothing is put back in the queue instead.
TEST(PoolScheduler, ReservedWorkReclaimsSlotsFromPreemptibleWork) {
  SchedulerConfig c = config(2);
  c.reservations = {reservation(kGold, 1e6, 800 * kMs)};
  PoolScheduler s(c);
  auto older = ticket(kResearch, 100, true);
  auto younger = ticket(kResearch, 100, true);
  s.submit(older, 0);
  s.submit(younger, 5 * kMs);
  younger->output_started = true;
  EXPECT_EQ(s.stats().slots_used, 2);
  auto gold = ticket(kGold);
  s.submit(gold, 10 * kMs);
  // It first waits for a slot to free, up to half its 800 ms TTFT budget...
  EXPECT_EQ(gold->state, Ticket::State::kQueued);
  EXPECT_EQ(s.next_wakeup(10 * kMs), 410 * kMs);
  s.on_time(410 * kMs);
  // ...then it would miss its deadline: the youngest preemptible request gives its slot back.
  EXPECT_EQ(gold->state, Ticket::State::kRunning);
  EXPECT_EQ(younger->state, Ticket::State::kPreempted);
  EXPECT_EQ(younger->refusal.kind, ErrorKind::kPreempted);
  EXPECT_EQ(younger->refusal.code, "preempted");
  EXPECT_EQ(younger->notified, 1);  // started within submit() (not notified), then stopped
  EXPECT_EQ(older->state, Ticket::State::kRunning);

  auto flex = ticket(kB, 100, true);
  flex->flex = true;
  s.finish(*gold, 100, 420 * kMs);  // frees a slot; the flex request takes it
  s.submit(flex, 420 * kMs);
  EXPECT_EQ(flex->state, Ticket::State::kRunning);
  auto gold2 = ticket(kGold);
  s.submit(gold2, 500 * kMs);
  s.on_time(900 * kMs);
  EXPECT_EQ(gold2->state, Ticket::State::kRunning);
  EXPECT_EQ(flex->state, Ticket::State::kQueued);  // requeued: it had sent nothing
  EXPECT_EQ(flex->times_requeued, 1);
  EXPECT_EQ(s.stats().preempted, 1);
  EXPECT_EQ(s.stats().requeued, 1);
}

TEST(PoolScheduler, RefusesAtOnceWhatCannotStartBeforeItsDeadline) {
  SchedulerConfig c = config(1);
  c.max_queue = 500 * kMs;
  PoolScheduler s(c);
  // Learn how long a request holds a slot: 200 ms.
  auto first = ticket(kA);
  s.submit(first, 0);
  s.finish(*first, 100, 200 * kMs);
  auto running = ticket(kA);
  s.submit(running, 200 * kMs);
  auto waits = ticket(kA);
  s.submit(waits, 200 * kMs);  // one ahead: about 200 ms, fine
  EXPECT_EQ(waits->state, Ticket::State::kQueued);
  std::vector<std::shared_ptr<TestTicket>> more;
  std::shared_ptr<TestTicket> refused;
  for (int i = 0; i < 5 && !refused; ++i) {
    more.push_back(ticket(kA));
    s.submit(more.back(), 200 * kMs);
    if (more.back()->state == Ticket::State::kRefused) refused = more.back();
  }
  ASSERT_TRUE(refused) << "a long queue must be refused up front";
  EXPECT_EQ(refused->refusal.kind, ErrorKind::kCapacityExceeded);
  EXPECT_GT(refused->refusal.retry_after_ms, 0);
}

TEST(PoolScheduler, AQueuedRequestIsRefusedAtItsDeadlineNotLeftToTimeOut) {
  SchedulerConfig c = config(1);
  c.max_queue = 100 * kMs;
  PoolScheduler s(c);
  s.submit(ticket(kA), 0);
  auto waiting = ticket(kA);
  s.submit(waiting, 0);
  EXPECT_EQ(waiting->state, Ticket::State::kQueued);
  EXPECT_EQ(s.next_wakeup(0), 100 * kMs);
  s.on_time(100 * kMs);
  EXPECT_EQ(waiting->state, Ticket::State::kRefused);
}

TEST(PoolScheduler, FcfsServesInArrivalOrderWhatever) {
  SchedulerConfig c = config(1);
  c.fcfs = true;
  c.reservations = {reservation(kGold, 1e6, 800 * kMs)};
  PoolScheduler s(c);
  auto blocker = ticket(kA);
  s.submit(blocker, 0);
  auto shared = ticket(kA);
  auto gold = ticket(kGold);
  s.submit(shared, 1 * kMs);
  s.submit(gold, 2 * kMs);
  s.finish(*blocker, 100, 3 * kMs);
  EXPECT_EQ(shared->state, Ticket::State::kRunning);
  EXPECT_EQ(gold->state, Ticket::State::kQueued);
}

TEST(PoolScheduler, KvCacheCapacityHoldsBackRequestsThatDoNotFit) {
  SchedulerConfig c;
  c.lanes = {Lane{8, 1000}, Lane{8, 1000}};
  c.max_queue = 10'000 * kMs;
  PoolScheduler s(c);
  std::vector<std::shared_ptr<TestTicket>> t;
  for (int i = 0; i < 5; ++i) {
    t.push_back(ticket(kA));
    t.back()->kv_tokens = 400;
    s.submit(t.back(), 0);
  }
  // Two per lane fit (800 of 1000); the fifth waits.
  EXPECT_EQ(t[4]->state, Ticket::State::kQueued);
  EXPECT_NE(t[0]->lane, t[1]->lane);
  s.finish(*t[0], 100, kMs);
  EXPECT_EQ(t[4]->state, Ticket::State::kRunning);
}

TEST(PoolScheduler, WithdrawnRequestsLeaveTheQueue) {
  PoolScheduler s(config(1));
  auto running = ticket(kA);
  s.submit(running, 0);
  auto gone = ticket(kB);
  auto next = ticket(kB);
  s.submit(gone, 0);
  s.submit(next, 0);
  s.withdraw(*gone, kMs);
  EXPECT_EQ(gone->state, Ticket::State::kWithdrawn);
  s.finish(*running, 100, 2 * kMs);
  EXPECT_EQ(next->state, Ticket::State::kRunning);
  EXPECT_EQ(s.stats().queued_shared, 0u);
}

}  // namespace
}  // namespace accord

namespace accord {
namespace {

std::shared_ptr<TestTicket> asking(PartyId party, int64_t prompt, int64_t max_output) {
  auto t = std::make_shared<TestTicket>();
  t->party = party;
  t->model = kModel;
  t->prompt_tokens = prompt;
  t->max_output_tokens = max_output;
  t->output_weight = 3;
  return t;
}

TEST(PoolScheduler, ChargesWhatARequestWillLikelyUseNotTheMostItCould) {
  PoolScheduler s(config(100));
  auto first = asking(kA, 100, 131'000);  // no max_tokens: the context window is its cap
  s.submit(first, 0);
  EXPECT_DOUBLE_EQ(first->weighted_estimate, 100 + 3 * OutputEstimator::kFirstGuess);
  EXPECT_EQ(first->kv_tokens, 100 + 512);
  auto capped = asking(kA, 100, 20);  // a max_tokens below the guess caps it
  s.submit(capped, 0);
  EXPECT_DOUBLE_EQ(capped->weighted_estimate, 100 + 3 * 20);
  s.finish(*first, 100 + 3 * 50, 10 * kMs, 50);
  s.finish(*capped, 100 + 3 * 20, 10 * kMs, 20);
  // What this party's requests produced is what the next is expected to produce.
  auto next = asking(kA, 100, 131'000);
  s.submit(next, 20 * kMs);
  EXPECT_LT(next->weighted_estimate, 100 + 3 * 60);
  EXPECT_GT(next->weighted_estimate, 100 + 3 * 40);
  // Another party starts from the first guess: estimates are per party and model.
  auto other = asking(kB, 100, 131'000);
  s.submit(other, 20 * kMs);
  EXPECT_DOUBLE_EQ(other->weighted_estimate, 100 + 3 * OutputEstimator::kFirstGuess);
}

TEST(PoolScheduler, ABuiltinPoolRunsWhatItsLatencyTargetsAllow) {
  SchedulerConfig c = config(512);
  const ReplicaParams p = replica_params(*find_gpu("h100"), 2, 70, calibrated_coefficients());
  c.lanes = {Lane{p.max_batch, p.kv_capacity_tokens}};
  c.latency = LatencyModel{p, {}};
  PoolScheduler s(c);
  const int assumed = s.stats().slots_total;
  EXPECT_LT(assumed, p.max_batch);
  // Short requests: more at once; the lanes follow the mix as requests come and go.
  std::vector<std::shared_ptr<TestTicket>> running;
  for (int i = 0; i < 200; ++i) {
    auto t = asking(kA, 100, 32);
    s.submit(t, i * kMs);
    if (t->state == Ticket::State::kRunning) s.finish(*t, 100 + 3 * 32, i * kMs, 32);
  }
  const int short_mix = s.stats().slots_total;
  const int expected = latency_batch(p, {}, 100, 32);
  EXPECT_NEAR(short_mix, expected, 0.1 * expected);
  EXPECT_GT(short_mix, assumed);
  for (int i = 0; i < 200; ++i) {
    auto t = asking(kA, 6000, 300);
    s.submit(t, (200 + i) * kMs);
    if (t->state == Ticket::State::kRunning) s.finish(*t, 6000 + 3 * 300, (200 + i) * kMs, 300);
  }
  EXPECT_LT(s.stats().slots_total, short_mix);
}

}  // namespace
}  // namespace accord

namespace accord {
namespace {

// A fake upstream behind an upstream pool's scheduler: its time per output token is
// base × max(1, running / knee), fixed when a request starts; one shared party keeps the pool
// backlogged.
struct FakeUpstream {
  FakeUpstream(PoolScheduler& scheduler, double knee_requests)
      : s(scheduler), knee(knee_requests) {}
  PoolScheduler& s;
  double knee;
  double base_s = 0.01;
  int tokens = 20;
  MonoNanos now = 0;
  std::vector<std::shared_ptr<TestTicket>> waiting;
  std::vector<std::tuple<MonoNanos, double, std::shared_ptr<TestTicket>>> running;

  void step() {
    while (waiting.size() < 64) {
      waiting.push_back(ticket(kA));
      s.submit(waiting.back(), now);
    }
    const double pace = base_s * std::max(1.0, s.stats().slots_used / knee);
    std::erase_if(waiting, [&](const std::shared_ptr<TestTicket>& t) {
      if (t->state == Ticket::State::kQueued) return false;
      if (t->state == Ticket::State::kRunning) {
        running.emplace_back(now + static_cast<MonoNanos>(pace * tokens * 1e9), pace, t);
      }
      return true;
    });
  }
  // Runs for `seconds`; returns the mean of the pool's slots over the last third.
  double run(double seconds) {
    const MonoNanos end = now + static_cast<MonoNanos>(seconds * 1e9);
    const MonoNanos tail = end - static_cast<MonoNanos>(seconds / 3 * 1e9);
    double sum = 0;
    int n = 0;
    step();
    while (now < end) {
      auto next = std::min_element(running.begin(), running.end());
      auto [due, pace, t] = *next;
      running.erase(next);
      now = due;
      s.on_upstream_sample({pace, 0, false, false}, now);
      s.finish(*t, 100, now);
      step();
      if (now >= tail) sum += s.stats().slots_total, ++n;
    }
    return sum / std::max(1, n);
  }
};

TEST(PoolScheduler, AnUpstreamPoolLearnsItsLimitAndBacksOffWhenTheUpstreamSlows) {
  SchedulerConfig c = config(256);
  c.max_queue = 1000 * kNanosPerSecond;
  AdaptiveLimitConfig adaptive;
  adaptive.max_limit = 256;  // as an upstream pool starts: slow start from the initial limit
  c.adaptive = adaptive;
  PoolScheduler s(c);
  FakeUpstream up(s, 40);
  EXPECT_NEAR(up.run(600), 40, 4);
  up.knee = 20;  // it got slower under load
  EXPECT_NEAR(up.run(600), 20, 2);
}

}  // namespace
}  // namespace accord

namespace accord {
namespace {

TEST(PoolScheduler, ThePoolsTtftTargetIsTheDeadlineOfSharedWork) {
  SchedulerConfig c = config(1);
  c.max_queue = 10'000 * kMs;
  c.shared_ttft_target = 300 * kMs;
  PoolScheduler s(c);
  auto first = ticket(kA);  // learn how long a request holds a slot: 200 ms
  s.submit(first, 0);
  s.finish(*first, 100, 200 * kMs);
  auto running = ticket(kA), waits = ticket(kB);
  s.submit(running, 200 * kMs);
  s.submit(waits, 200 * kMs);  // starts in about 200 ms: within 300
  EXPECT_EQ(waits->state, Ticket::State::kQueued);
  EXPECT_EQ(waits->deadline, 500 * kMs);
  auto late = ticket(kB);  // about 400 ms: refused at once, though max_queue is 10 s
  s.submit(late, 200 * kMs);
  EXPECT_EQ(late->state, Ticket::State::kRefused);
  s.on_time(500 * kMs);  // nothing freed in time: refused at the target, not served late
  EXPECT_EQ(waits->state, Ticket::State::kRefused);
}

}  // namespace
}  // namespace accord
