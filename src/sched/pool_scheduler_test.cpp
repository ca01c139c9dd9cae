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

TEST(PoolScheduler, ReservationBucketAdmitsItsBurstThenItsRate) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, /*rate=*/1000, 500 * kMs)};  // 1 s burst: 1000 tokens
  PoolScheduler s(c);
  std::vector<std::shared_ptr<TestTicket>> t;
  for (int i = 0; i < 10; ++i) {
    t.push_back(ticket(kGold, 100));
    s.submit(t.back(), 0);
  }
  for (auto& x : t) EXPECT_EQ(x->state, Ticket::State::kRunning);  // the burst
  auto over = ticket(kGold, 100);
  s.submit(over, 0);
  EXPECT_EQ(over->state, Ticket::State::kQueued);
  // 100 tokens refill in 100 ms: the scheduler asks to be woken then.
  EXPECT_EQ(s.next_wakeup(0), 100 * kMs + 1);
  s.on_time(100 * kMs + 1);
  EXPECT_EQ(over->state, Ticket::State::kRunning);
  EXPECT_EQ(over->cls, SchedClass::kReserved);
}

TEST(PoolScheduler, CompletionReturnsWhatWasNotUsed) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 1000, 500 * kMs)};  // 1,000 deep
  PoolScheduler s(c);
  auto a = ticket(kGold, 400), b = ticket(kGold, 400), next = ticket(kGold, 400);
  s.submit(a, 0);
  s.submit(b, 0);
  s.submit(next, 0);
  EXPECT_EQ(a->state, Ticket::State::kRunning);
  EXPECT_EQ(b->state, Ticket::State::kRunning);
  EXPECT_EQ(next->state, Ticket::State::kQueued);  // 200 left
  s.finish(*a, 100, 0);  // used 100 of its 400: 300 back, 500 in the bucket
  EXPECT_EQ(next->state, Ticket::State::kRunning);
}

TEST(PoolScheduler, BeyondTheReservationItSpillsOverAtItsDeadline) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 100, 800 * kMs)};
  PoolScheduler s(c);
  auto first = ticket(kGold, 200);  // the burst is raised to twice the largest request: 400
  s.submit(first, 0);
  auto second = ticket(kGold, 200);
  s.submit(second, 0);
  auto third = ticket(kGold, 200);
  s.submit(third, 0);
  EXPECT_EQ(third->state, Ticket::State::kQueued);
  s.on_time(800 * kMs);  // its TTFT deadline: into the shared queue, which has room
  EXPECT_EQ(third->state, Ticket::State::kRunning);
  EXPECT_EQ(third->cls, SchedClass::kShared);
  EXPECT_EQ(s.stats().spilled, 1);
}

TEST(PoolScheduler, WithoutSpilloverBeyondTheReservationIsRefused) {
  SchedulerConfig c = config(100);
  c.reservations = {reservation(kGold, 100, 800 * kMs, /*spillover=*/false)};
  PoolScheduler s(c);
  for (int i = 0; i < 2; ++i) s.submit(ticket(kGold, 200), 0);
  auto over = ticket(kGold, 200);
  s.submit(over, 0);
  s.on_time(800 * kMs);
  EXPECT_EQ(over->state, Ticket::State::kRefused);
  EXPECT_EQ(over->refusal.kind, ErrorKind::kCapacityExceeded);
  EXPECT_GT(over->refusal.retry_after_ms, 0);
  EXPECT_EQ(over->notified, 1);  // refused at its deadline, after submit() returned
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
