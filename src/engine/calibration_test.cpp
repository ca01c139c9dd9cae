#include "engine/calibration.h"

#include <gtest/gtest.h>

#include <vector>

namespace accord {
namespace {

// Fitted on six of the eight published figures, the model predicts the two held out (8B at
// 2048/2048 and 70B at 1000/1000) within ±15%.
TEST(Calibration, PredictsHeldOutPublishedThroughputs) {
  std::vector<PublishedThroughput> train, held_out;
  for (const PublishedThroughput& p : published_throughputs()) {
    const bool hold = (p.params_b == 8 && p.input_tokens == 2048 && p.output_tokens == 2048) ||
                      (p.params_b == 70 && p.input_tokens == 1000 && p.output_tokens == 1000);
    (hold ? held_out : train).push_back(p);
  }
  ASSERT_EQ(train.size(), 6u);
  ASSERT_EQ(held_out.size(), 2u);
  const EngineCoefficients c = fit_coefficients(train);
  for (const PublishedThroughput& p : held_out) {
    const double predicted = predict(p, c);
    EXPECT_NEAR(predicted / p.output_tokens_per_s, 1.0, 0.15)
        << p.model << " " << p.input_tokens << "/" << p.output_tokens << ": predicted " << predicted
        << ", published " << p.output_tokens_per_s;
  }
  for (const PublishedThroughput& p : train) {
    EXPECT_NEAR(predict(p, c) / p.output_tokens_per_s, 1.0, 0.25)
        << p.model << " " << p.input_tokens;
  }
}

// At low load the time to first token is the prompt over the prefill rate, plus one iteration.
TEST(Calibration, IdleTtftFollowsThePrefillRate) {
  const ReplicaParams p = replica_params(*find_gpu("h100"), 1, 8, calibrated_coefficients());
  const double prefill_tokens_per_s = 1.0 / p.t_token_s;
  for (const int64_t in : {100, 1000, 4000}) {
    const double expected = static_cast<double>(in) / prefill_tokens_per_s + p.t_fixed_s;
    EXPECT_NEAR(idle_ttft_s(p, in), expected, expected * 0.2) << in;
  }
  // Plausible for an 8B model on an H100: tens of milliseconds for a 1,000-token prompt.
  EXPECT_GT(idle_ttft_s(p, 1000), 0.005);
  EXPECT_LT(idle_ttft_s(p, 1000), 0.100);
}

TEST(Calibration, KvCacheBoundsTheBatchForLongContexts) {
  const ReplicaParams p = replica_params(*find_gpu("h100"), 1, 8, calibrated_coefficients());
  EXPECT_GT(p.kv_capacity_tokens, 500'000);
  EXPECT_LT(p.kv_capacity_tokens / 22'000, p.max_batch);
}

}  // namespace
}  // namespace accord
