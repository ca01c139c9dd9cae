#include "engine/replica_model.h"

#include <gtest/gtest.h>

namespace accord {
namespace {

ReplicaParams h100_8b() {
  return replica_params(*find_gpu("h100"), 1, 8, calibrated_coefficients());
}

// Runs until every submitted sequence has finished; returns the events.
std::vector<EngineEvent> run_to_end(ReplicaModel& m) {
  std::vector<EngineEvent> events;
  while (m.next_event_time() != ReplicaModel::kNever) m.advance(m.next_event_time(), events);
  return events;
}

TEST(ReplicaModel, LoneRequestTimingFollowsTheCostModel) {
  const ReplicaParams p = h100_8b();
  ReplicaModel m(p);
  const SeqId id = m.submit(0.0, 1000, 100);
  const auto events = run_to_end(m);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, EngineEvent::Type::kFirstToken);
  EXPECT_NEAR(events[0].time, idle_ttft_s(p, 1000), 1e-9);
  // 99 decode iterations, each reading the weights and a KV cache of 1,001..1,099 tokens.
  const double decode = events[1].time - events[0].time;
  const double per_step_low = p.t_fixed_s + p.t_token_s + 1001 * p.t_kv_s;
  const double per_step_high = p.t_fixed_s + p.t_token_s + 1100 * p.t_kv_s;
  EXPECT_GE(decode, 99 * per_step_low - 1e-9);
  EXPECT_LE(decode, 99 * per_step_high + 1e-9);
  EXPECT_EQ(m.tokens_generated(id, events[1].time), 100);
  EXPECT_TRUE(m.finished(id));
}

TEST(ReplicaModel, TokensArriveOnePerIteration) {
  ReplicaModel m(h100_8b());
  const SeqId id = m.submit(0.0, 10, 50);
  std::vector<EngineEvent> events;
  m.advance(m.next_event_time(), events);  // first token
  ASSERT_EQ(events.size(), 1u);
  const double t1 = events[0].time;
  EXPECT_EQ(m.tokens_generated(id, t1), 1);
  const double t2 = m.next_token_time(id, t1);
  EXPECT_GT(t2, t1);
  m.advance(t2, events);
  EXPECT_EQ(m.tokens_generated(id, t2), 2);
  const double t5 = t2 + 3 * (t2 - t1);
  m.advance(t5, events);
  EXPECT_EQ(m.tokens_generated(id, t5), 5);
}

// Saturated with identical requests, the event-driven engine delivers the closed-form throughput
// the calibration was fitted with.
TEST(ReplicaModel, SaturatedThroughputMatchesTheClosedForm) {
  const ReplicaParams p = h100_8b();
  for (const auto& [in, out] : {std::pair{1000, 1000}, std::pair{128, 2048}, {20000, 2000}}) {
    ReplicaModel m(p);
    const int n = 3 * p.max_batch;
    for (int i = 0; i < n; ++i) m.submit(0.0, in, out);
    run_to_end(m);
    const double measured = static_cast<double>(m.tokens_produced()) / m.time();
    const double expected = saturated_output_tokens_per_s(p, in, out);
    EXPECT_NEAR(measured / expected, 1.0, 0.12)
        << in << "/" << out << ": " << measured << " vs " << expected;
  }
}

TEST(ReplicaModel, KvCacheBoundsConcurrentSequences) {
  ReplicaParams p = h100_8b();
  p.kv_capacity_tokens = 10'000;
  ReplicaModel m(p);
  for (int i = 0; i < 10; ++i) m.submit(0.0, 2000, 500);  // 2,500 KV tokens each
  std::vector<EngineEvent> events;
  m.advance(m.next_event_time(), events);  // arrivals join at the first iteration boundary
  EXPECT_EQ(m.running(), 4);
  EXPECT_EQ(m.waiting(), 6);
  while (m.next_event_time() != ReplicaModel::kNever) {
    m.advance(m.next_event_time(), events);
    EXPECT_LE(m.kv_tokens_used(), p.kv_capacity_tokens);
    EXPECT_LE(m.running(), 4);
  }
  EXPECT_EQ(m.kv_tokens_used(), 0);
}

TEST(ReplicaModel, CancelFreesTheSlotAtTheNextIteration) {
  ReplicaParams p = h100_8b();
  p.max_batch = 1;
  ReplicaModel m(p);
  const SeqId a = m.submit(0.0, 100, 1000);
  const SeqId b = m.submit(0.0, 100, 10);
  EXPECT_EQ(m.waiting(), 1);
  std::vector<EngineEvent> events;
  m.advance(0.05, events);
  const int64_t done = m.tokens_generated(a, 0.05);
  EXPECT_GT(done, 0);
  m.cancel(a, 0.05);
  const auto rest = run_to_end(m);
  EXPECT_TRUE(m.finished(a));
  EXPECT_EQ(m.tokens_generated(a, 1.0), done);
  EXPECT_TRUE(m.finished(b));
  EXPECT_LT(m.finish_time(b), 1.0);
  for (const auto& e : rest) EXPECT_NE(e.seq, a);
  m.release(a);
  m.release(b);
  EXPECT_EQ(m.running(), 0);
}

TEST(ReplicaModel, EmbeddingIsPrefillOnly) {
  ReplicaModel m(h100_8b());
  const SeqId id = m.submit(0.0, 500, 0);
  const auto events = run_to_end(m);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, EngineEvent::Type::kFinished);
  EXPECT_EQ(m.tokens_generated(id, events[0].time), 0);
}

TEST(ReplicaModel, ArrivalMidSegmentJoinsAtTheNextIteration) {
  ReplicaModel m(h100_8b());
  m.submit(0.0, 100, 2000);
  std::vector<EngineEvent> events;
  m.advance(0.5, events);
  const double before = m.next_event_time();
  const SeqId late = m.submit(0.5, 100, 10);
  EXPECT_LE(m.next_event_time(), before);
  EXPECT_LT(m.next_event_time() - 0.5, 0.05);  // within about one iteration
  run_to_end(m);
  EXPECT_GT(m.first_token_time(late), 0.5);
  EXPECT_LT(m.first_token_time(late), 0.6);
}

}  // namespace
}  // namespace accord
